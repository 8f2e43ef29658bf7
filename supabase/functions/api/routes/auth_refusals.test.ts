/** Every authenticated route refuses bad credentials the same way (see testing/auth_refusals.ts). */
import { after, before, describe, it } from "node:test";
import { ACCOUNT_ROUTES } from "../testing/account_routes.ts";
import { type ApiHarness, startApiHarness } from "../testing/api_harness.ts";
import { assertAuthRefusals, routeName } from "../testing/auth_refusals.ts";
import { WEBHOOK_ROUTES } from "../testing/webhook_routes.ts";

const ROUTES = [...ACCOUNT_ROUTES, ...WEBHOOK_ROUTES];

describe("auth refusals on every route", () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApiHarness();
  });
  after(() => h.close());

  for (const route of ROUTES) {
    it(`${routeName(route)} refuses missing, bad, expired and revoked credentials and missing scopes`, () =>
      assertAuthRefusals(h, route));
  }
});
