/** The API reference: Scalar's renderer, loaded on first visit, over the deployed api's `/openapi.json`. */
import { useEffect, useRef, useState } from "preact/hooks";
import type { Schema } from "../schema_form.tsx";
import { Failure } from "../ui.tsx";

export function Reference({ document, token }: { document: Schema; token: string }) {
  const element = useRef<HTMLDivElement>(null);
  const [failure, setFailure] = useState<string>();
  useEffect(() => {
    let unmount: (() => void) | undefined;
    let gone = false;
    import("../reference_view.ts")
      .then(({ mountReference }) => {
        if (!gone && element.current) unmount = mountReference(element.current, document, token);
      })
      .catch((error) => setFailure(`The API reference could not load: ${error}`));
    return () => {
      gone = true;
      unmount?.();
    };
  }, [document, token]);
  // Scalar's element is beside the page's <main>, out of reach of the dashboard's styles.
  return (
    <>
      <main>
        <h1>API reference</h1>
        <Failure text={failure} />
      </main>
      <div id="reference" ref={element} />
    </>
  );
}
