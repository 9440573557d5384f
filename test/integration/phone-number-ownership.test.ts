import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, gql, gqlOk } from '../setup/graphql-client.js';
import { makeTenant, uniqueE164, uniqueMetaId } from '../factories/index.js';
import { startOutboundHarness, type OutboundHarness } from '../setup/outbound.js';

// A tenant registering a Phone Number ID decides where that number's webhooks go, so a tenant key
// must prove the number is its own: Meta (the simulator, over HTTP) must list it in the WABA for
// the business token the tenant gives. Otherwise a tenant could take another client's number first.
let h: OutboundHarness;
beforeAll(async () => {
  h = await startOutboundHarness('ownership');
});
afterAll(async () => h?.close());

const ADD_NUMBER = `mutation($input: AddPhoneNumberInput!) { addPhoneNumber(input: $input) { id tenantId phoneNumberId hasOwnToken } }`;

/** A client's WABA with one number, and the business token Embedded Signup would have given that client. */
function clientAccount() {
  const waba = h.sim.createWaba({ id: uniqueMetaId(), subscribed: true });
  const number = h.sim.createNumber({ wabaId: waba.id, id: uniqueMetaId() });
  const token = h.sim.core.createToken({ kind: 'business', wabaIds: [waba.id] }).token;
  return { wabaId: waba.id, phoneNumberId: number.id, token };
}
const stored = async (phoneNumberId: string) => (await h.server.core.database.sql`select count(*)::int as n from phone_numbers where phone_number_id = ${phoneNumberId}`)[0].n;

describe('addPhoneNumber by a tenant', () => {
  it('adds its own number with its business token', async () => {
    const { tenant, key } = await makeTenant(h.server.core.services);
    const mine = clientAccount();
    const { addPhoneNumber } = await gqlOk(h.server.url, key, ADD_NUMBER, { input: { tenantId: tenant.id, phoneNumberId: mine.phoneNumberId, wabaId: mine.wabaId, displayPhoneNumber: uniqueE164(), accessToken: mine.token } });
    expect(addPhoneNumber).toMatchObject({ tenantId: tenant.id, phoneNumberId: mine.phoneNumberId, hasOwnToken: true });
  });

  it("refuses another client's number, whichever WABA it names, and stores nothing", async () => {
    const { tenant, key } = await makeTenant(h.server.core.services);
    const mine = clientAccount();
    const theirs = clientAccount();
    // Its own WABA, someone else's number: Meta does not list it there.
    const inMine = await gql(h.server.url, key, ADD_NUMBER, { input: { tenantId: tenant.id, phoneNumberId: theirs.phoneNumberId, wabaId: mine.wabaId, displayPhoneNumber: uniqueE164(), accessToken: mine.token } });
    expect(codes(inMine)).toEqual(['VALIDATION_FAILED']);
    expect(inMine.errors?.[0].message).toContain(`no phone number ${theirs.phoneNumberId} in WABA ${mine.wabaId}`);
    // Their WABA: Meta refuses the token there.
    const inTheirs = await gql(h.server.url, key, ADD_NUMBER, { input: { tenantId: tenant.id, phoneNumberId: theirs.phoneNumberId, wabaId: theirs.wabaId, displayPhoneNumber: uniqueE164(), accessToken: mine.token } });
    expect(codes(inTheirs)).toEqual(['META_ERROR']);
    expect(inTheirs.errors?.[0].message).toContain(`WABA ${theirs.wabaId}`);
    expect(await stored(theirs.phoneNumberId)).toBe(0);
    // The rightful client can still add it.
    const owner = await makeTenant(h.server.core.services);
    await gqlOk(h.server.url, owner.key, ADD_NUMBER, { input: { tenantId: owner.tenant.id, phoneNumberId: theirs.phoneNumberId, wabaId: theirs.wabaId, displayPhoneNumber: uniqueE164(), accessToken: theirs.token } });
    expect(await stored(theirs.phoneNumberId)).toBe(1);
  });

  it('refuses a number without a business token (FORBIDDEN) and with an expired one (META_ERROR)', async () => {
    const { tenant, key } = await makeTenant(h.server.core.services);
    const mine = clientAccount();
    const input = { tenantId: tenant.id, phoneNumberId: mine.phoneNumberId, wabaId: mine.wabaId, displayPhoneNumber: uniqueE164() };
    const without = await gql(h.server.url, key, ADD_NUMBER, { input });
    expect(codes(without)).toEqual(['FORBIDDEN']);
    expect(without.errors?.[0].message).toMatch(/business token/);
    h.sim.core.expireToken(mine.token);
    expect(codes(await gql(h.server.url, key, ADD_NUMBER, { input: { ...input, accessToken: mine.token } }))).toEqual(['META_ERROR']);
    expect(await stored(mine.phoneNumberId)).toBe(0);
  });

  it('leaves the operator free to add a number shared with the app, without a token', async () => {
    const { tenant } = await makeTenant(h.server.core.services);
    const shared = h.sim.createNumber({ wabaId: h.sim.createWaba({ id: uniqueMetaId(), subscribed: true }).id, id: uniqueMetaId() });
    const { addPhoneNumber } = await gqlOk(h.server.url, h.server.operatorKey, ADD_NUMBER, { input: { tenantId: tenant.id, phoneNumberId: shared.id, wabaId: shared.wabaId, displayPhoneNumber: uniqueE164() } });
    expect(addPhoneNumber).toMatchObject({ tenantId: tenant.id, hasOwnToken: false });
  });
});
