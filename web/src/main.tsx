import { render } from "preact";
import { restoreSession } from "./api/session.js";
import { App } from "./app.js";
import "./styles.css";

void restoreSession();
render(<App />, document.getElementById("app") as HTMLElement);
