/** API keys: create one with scopes (its secret shown once, with a copy button), list them, revoke one. */
import { useEffect, useState } from "preact/hooks";
import type { Api } from "../api.ts";
import { Failure, SecretOnce, useAction, when } from "../ui.tsx";

const SCOPES = ["jobs:read", "jobs:write", "account:read", "keys:manage", "webhooks:manage"];

// biome-ignore lint/suspicious/noExplicitAny: keys as the API answers them.
type Key = any;

export function Keys({ api }: { api: Api }) {
  const [keys, setKeys] = useState<Key[]>([]);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["jobs:read", "jobs:write"]);
  const [secret, setSecret] = useState<string>();
  const [failure, run] = useAction();
  const load = async () => setKeys((await api.call<{ data: Key[] }>("GET", "/v1/keys")).data);
  useEffect(() => void run(load), []);

  const create = () =>
    run(async () => {
      const created = await api.call<{ key: string }>("POST", "/v1/keys", { name, scopes });
      setSecret(created.key);
      setName("");
      await load();
    });
  const revoke = (id: string) =>
    run(async () => {
      await api.call("DELETE", `/v1/keys/${id}`);
      await load();
    });

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
      <Failure text={failure} />
      <SecretOnce label="New key" secret={secret} />
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
              <td>{when(key.last_used_at)}</td>
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
