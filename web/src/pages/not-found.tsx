import { PageHeading } from "../components/page.js";
import { Link } from "../router.js";

export function NotFoundPage() {
  return (
    <section>
      <PageHeading title="Page not found" />
      <p>
        There is no page at this address. <Link href="/">See the events on sale</Link>.
      </p>
    </section>
  );
}
