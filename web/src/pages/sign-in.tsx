/** Sign in and register. Field violations from the server appear beside their fields. */
import { useEffect, useState } from "preact/hooks";
import { type Problem, problemOf } from "../api/errors.js";
import { register, signIn } from "../api/session.js";
import { ErrorSummary, Field } from "../components/form.js";
import { PageHeading } from "../components/page.js";
import { Link, location, navigate } from "../router.js";

/** Where to go after signing in: the `next` parameter when it is an in-app path. */
function nextPath(): string {
  const next = location.value.query.get("next") ?? "/";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

/** Disables a submit button until a RetryInfo delay has passed, counting down. */
function useRetryWait(problem: Problem | undefined): number {
  const [left, setLeft] = useState(0);
  useEffect(() => {
    if (problem?.retryAfterMs === undefined) return setLeft(0);
    const until = Date.now() + problem.retryAfterMs;
    const tick = () => setLeft(Math.max(0, Math.ceil((until - Date.now()) / 1000)));
    tick();
    const t = setInterval(tick, 1000);
    return () => clearInterval(t);
  }, [problem]);
  return left;
}

export function SignInPage() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const wait = useRetryWait(problem);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await signIn(email, password);
      navigate(nextPath(), { replace: true });
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="narrow">
      <PageHeading title="Sign in" />
      <ErrorSummary problem={problem} fieldIds={{ email: "email", password: "password" }} />
      <form onSubmit={submit} noValidate>
        <Field
          id="email"
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onValue={setEmail}
          error={problem?.fields.email}
        />
        <Field
          id="password"
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onValue={setPassword}
          error={problem?.fields.password}
        />
        <button type="submit" class="primary" disabled={busy || wait > 0}>
          {wait > 0 ? `Try again in ${wait} s` : busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p>
        New here?{" "}
        <Link href={`/register${location.value.query.size ? `?${location.value.query}` : ""}`}>Create an account</Link>.
      </p>
    </section>
  );
}

export function RegisterPage() {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await register(email, password, name);
      navigate(nextPath(), { replace: true });
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="narrow">
      <PageHeading title="Create an account" />
      <ErrorSummary
        problem={problem}
        fieldIds={{ display_name: "display-name", email: "email", password: "password" }}
      />
      <form onSubmit={submit} noValidate>
        <Field
          id="display-name"
          label="Your name"
          autoComplete="name"
          required
          value={name}
          onValue={setName}
          error={problem?.fields.display_name}
        />
        <Field
          id="email"
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onValue={setEmail}
          error={problem?.fields.email}
        />
        <Field
          id="password"
          label="Password"
          type="password"
          autoComplete="new-password"
          hint="12 to 128 characters. A passphrase of a few words works well."
          required
          value={password}
          onValue={setPassword}
          error={problem?.fields.password}
        />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Creating your account…" : "Create account"}
        </button>
      </form>
      <p>
        Already have an account? <Link href="/sign-in">Sign in</Link>.
      </p>
    </section>
  );
}
