/**
 * For webhook management tests: the API harness on a stack whose SSRF checks use a resolver the test controls,
 * plain http allowed to 127.0.0.1, a real receiver on loopback, and the dispatcher, run when the test says.
 */
import { after, before } from "node:test";
import { fixedResolver } from "../../../../scripts/testing/fixed_resolver.ts";
import type { DeliveryCounts } from "../../dispatch/delivery/dispatcher.ts";
import { testDispatcher } from "../../dispatch/testing/dispatch_harness.ts";
import { startReceiver, type WebhookReceiver } from "../../dispatch/testing/webhook_receiver.ts";
import { type ApiHarness, startApiHarness, type TestUser } from "./api_harness.ts";

export interface WebhookKit {
  readonly h: ApiHarness;
  readonly receiver: WebhookReceiver;
  /** DNS answers of the API's (and the dispatcher's) resolver: `answers.set(host, [addresses])`. */
  readonly answers: Map<string, string[]>;
  /** One dispatcher pass: sends whatever is due now. */
  dispatch(): Promise<DeliveryCounts>;
  /** Makes the endpoint's pending deliveries due now (instead of waiting for their retry). */
  makeDue(endpointId: string): Promise<void>;
  /** Registers an endpoint at `path` of the receiver; returns its id and secret. */
  endpoint(user: TestUser, path: string, body?: Record<string, unknown>): Promise<{ id: string; secret: string }>;
}

/** Registers the file's hooks (harness, receiver, dispatcher; all closed after) and returns getters for them. */
export function useWebhookKit(): WebhookKit {
  const answers = new Map<string, string[]>();
  const resolver = fixedResolver(answers);
  let h: ApiHarness | undefined;
  let receiver: WebhookReceiver | undefined;
  let dispatcher: ReturnType<typeof testDispatcher> | undefined;
  before(async () => {
    h = await startApiHarness({ functionEnv: { KILN_WEBHOOK_HTTP_ALLOW: "127.0.0.1" }, resolver });
    receiver = await startReceiver();
    dispatcher = testDispatcher(h.target.functionsDbUrl, { resolver, apiUrl: h.target.url }, 2);
  });
  after(async () => {
    await dispatcher?.close();
    await receiver?.close();
    await h?.close();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the kit is ready only inside tests");
    return value;
  };
  const kit: WebhookKit = {
    get h() {
      return ready(h);
    },
    get receiver() {
      return ready(receiver);
    },
    answers,
    dispatch: () => ready(dispatcher).dispatcher.run(),
    async makeDue(endpointId) {
      await kit.h.sql`
        update public.webhook_deliveries set next_attempt_at = now()
         where endpoint_id = ${endpointId} and status = 'pending'`;
    },
    async endpoint(user, path, body = {}) {
      const response = await kit.h.call("POST", "/v1/webhooks", {
        auth: user.token,
        body: { url: kit.receiver.url(path), ...body },
      });
      const created = await response.json();
      if (response.status !== 201)
        throw new Error(`registering ${path}: ${response.status} ${JSON.stringify(created)}`);
      return { id: created.webhook.id, secret: created.secret };
    },
  };
  return kit;
}
