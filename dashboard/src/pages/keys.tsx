/** API keys: create one with scopes (its secret shown once, with a copy button), list them, revoke one. */
import { useEffect, useState } from "preact/hooks";
import { type Api, describeError } from "../api.ts";

const SCOPES = ["jobs:read", "jobs:write", "account:read", "keys:manage", "webhooks:manage"];

// biome-ignore lint/suspicious/noExplicitAny: keys as the API answers them.
type Key = any;

export function Keys({ api }: { api: Api }) {
  const [keys, setKeys] = useState<Key[]>([]);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["jobs:read", "jobs:write"]);
  const [secret, setSecret] = useState<string>();
  const [failure, setFailure] = useState<string>();
  const load = () =>
    api
      .call<{ data: Key[] }>("GET", "/v1/keys")
      .then((page) => setKeys(page.data))
      .catch((error) => setFailure(describeError(error)));
  useEffect(() => void load(), []);

  const create = async () => {
    setFailure(undefined);
    try {
      const created = await api.call<{ key: string }>("POST", "/v1/keys", { name, scopes });
      setSecret(created.key);
      setName("");
      await load();
    } catch (error) {
      setFailure(describeError(error));
    }
  };
  const revoke = async (id: string) => {
    try {
      await api.call("DELETE", `/v1/keys/${id}`);
      await load();
    } catch (error) {
      setFailure(describeError(error));
    }
  };

  return (
    <main>
      <h1>API keys</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <label>
          <span>Name</span>
          <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <label key={scope}>
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(e) =>
                  setScopes(e.currentTarget.checked ? [...scopes, scope] : scopes.filter((s) => s !== scope))
                }
              />{" "}
              {scope}
            </label>
          ))}
        </fieldset>
        <button type="submit">Create key</button>
      </form>
      {failure && (
        <p class="error" role="alert">
          {failure}
        </p>
      )}
      {secret && (
        <section aria-label="New key">
          <p>Store this secret now: it is not shown again.</p>
          <p class="secret">{secret}</p>
          <button type="button" onClick={() => void navigator.clipboard.writeText(secret)}>
            Copy
          </button>
        </section>
      )}
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Prefix</th>
            <th>Scopes</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key.id} aria-label={`Key ${key.name}`}>
              <td>{key.name}</td>
              <td>{key.prefix}</td>
              <td>{key.scopes.join(", ")}</td>
              <td>{key.last_used_at ?? "never"}</td>
              <td>
                {key.revoked_at ? (
                  "revoked"
                ) : (
                  <button type="button" onClick={() => void revoke(key.id)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
