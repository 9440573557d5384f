import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { testEnv } from '../setup/test-env.js';
import { roleEnv, spawnRole, type RoleProcess } from '../setup/processes.js';
import { gql, gqlOk } from '../setup/graphql-client.js';
import { eventually, postWebhook } from '../setup/webhooks.js';
import { startSimulator, DEMO, type Simulator } from '@wabahub/meta-simulator';

// setup(): a server and a worker as real processes (their stdout a pipe, as in production), at
// LOG_LEVEL=trace so that every line the code can write is written. Then the traffic that carries
// secrets: the webhook handshake (verify token in the URL), a signed webhook (the signature), a
// GraphQL call with the operator key, a mutation with a business token, an API key created.
// The captured output must hold none of them, and every line must be one JSON object.
const SECRETS = {
  appSecret: `app-secret-${randomBytes(8).toString('hex')}`,
  verifyToken: `verify-token-${randomBytes(8).toString('hex')}`,
  systemToken: `EAAsystem${randomBytes(12).toString('hex')}`,
  businessToken: `EAAbusiness${randomBytes(12).toString('hex')}`,
};
let sim: Simulator;
let server: RoleProcess;
let worker: RoleProcess;
let env: ReturnType<typeof testEnv>;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, quiet: true });
  env = testEnv({ META_GRAPH_URL: `${sim.url}/v21.0`, META_APP_ID: DEMO.appId, META_APP_SECRET: SECRETS.appSecret, META_VERIFY_TOKEN: SECRETS.verifyToken, META_SYSTEM_TOKEN: SECRETS.systemToken, LOG_LEVEL: 'trace' });
  const childEnv = roleEnv(env, { PORT: '0' });
  [server, worker] = await Promise.all([spawnRole('server', childEnv), spawnRole('worker', childEnv)]);
}, 60_000);
afterAll(async () => {
  await Promise.all([server?.kill(), worker?.kill()]);
  await sim?.close();
});

describe('logs', () => {
  it('are JSON lines with no secret in them, whatever the traffic carries', async () => {
    const url = server.url!;
    const secretsKey = env.SECRETS_KEY.toString('base64');

    const handshake = await fetch(`${url}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${SECRETS.verifyToken}&hub.challenge=12345`);
    expect(await handshake.text()).toBe('12345');

    const tenant = (await gqlOk(url, env.OPERATOR_API_KEY, `mutation { createTenant(input: { name: "Logs" }) { id } }`)).createTenant;
    const { createApiKey } = await gqlOk(url, env.OPERATOR_API_KEY, `mutation($t: ID!) { createApiKey(tenantId: $t, name: "crm") { secret } }`, { t: tenant.id });
    // A tenant adding a number proves it with its business token: the token travels in the variables.
    const number = DEMO.wabas[0].numbers[0];
    const added = await gql(url, createApiKey.secret, `mutation($input: AddPhoneNumberInput!) { addPhoneNumber(input: $input) { id } }`, {
      input: { tenantId: tenant.id, phoneNumberId: number.id, displayPhoneNumber: `+${number.displayPhoneNumber}`, wabaId: DEMO.wabas[0].id, accessToken: SECRETS.businessToken },
    });
    expect(added.errors ?? added.data).toBeTruthy(); // refused or not, the token reached the server

    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'account_update', value: { event: 'VERIFIED_ACCOUNT' } }] }] });
    expect((await postWebhook(url, body, SECRETS.appSecret)).status).toBe(200);
    const events = await eventually(async () => {
      const { webhookEvents } = await gqlOk(url, env.OPERATOR_API_KEY, '{ webhookEvents(first: 5) { edges { node { state } } } }');
      return webhookEvents.edges.some((e: { node: { state: string } }) => e.node.state === 'processed') && webhookEvents;
    }, 'the webhook processed by the worker');
    expect(events).toBeTruthy();

    const output = server.output() + worker.output();
    const lines = output.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('(node:') && !line.includes('--trace-warnings'));
    // Enough was logged for the test to mean something: debug lines of both roles.
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    const parsed = lines.map((line) => JSON.parse(line) as { msg?: string; level: number });
    expect(parsed.some((l) => l.msg === 'graphql operation')).toBe(true);
    expect(parsed.some((l) => l.msg === 'request completed')).toBe(true);

    for (const [name, secret] of Object.entries({ ...SECRETS, operatorKey: env.OPERATOR_API_KEY, tenantKey: createApiKey.secret, secretsKey })) {
      expect(output.includes(secret), `${name} appears in the log`).toBe(false);
    }
    // And what a redaction leaves in their place, so the check above cannot pass by logging nothing.
    expect(output).toContain('[Redacted]');
  });
});
