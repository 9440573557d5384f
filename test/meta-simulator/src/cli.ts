import { DEMO } from './demo.js';
import { startSimulator } from './simulator.js';

// `pnpm sim`: the simulator standalone, configured by environment variables.
const env = process.env;
const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));

const sim = await startSimulator({
  port: num(env.SIM_PORT) ?? 4010,
  host: env.SIM_HOST ?? '127.0.0.1',
  webhookUrl: env.SIM_WEBHOOK_URL ?? 'http://127.0.0.1:4000/webhooks/whatsapp',
  appId: env.SIM_APP_ID,
  appSecret: env.SIM_APP_SECRET,
  systemToken: env.SIM_SYSTEM_TOKEN,
  verifyToken: env.SIM_VERIFY_TOKEN,
  pairRateWindowMs: num(env.SIM_PAIR_RATE_WINDOW_MS),
  failureRatio: num(env.SIM_FAILURE_RATIO),
  duplicateRatio: num(env.SIM_DUPLICATE_RATIO),
  reorderRatio: num(env.SIM_REORDER_RATIO),
  seedDemo: env.SIM_SEED_DEMO !== 'false',
});

const app = sim.app;
console.log(`Meta Cloud API simulator listening on ${sim.url}
  Graph API base URL (META_GRAPH_URL): ${sim.url}/v21.0
  control API:                         ${sim.controlUrl}/state
  Embedded Signup page:                ${sim.url}/dialog/embedded-signup?app_id=${app.appId}
  SMS codes sent (request_code):       ${sim.controlUrl}/sms.html
  app webhook (SIM_WEBHOOK_URL):       ${app.webhookUrl}

Demo app credentials:
  META_APP_ID=${app.appId}
  META_APP_SECRET=${app.appSecret}
  META_SYSTEM_TOKEN=${env.SIM_SYSTEM_TOKEN ?? DEMO.systemToken}
  META_VERIFY_TOKEN=${app.verifyToken}
Demo WABAs, owned by business ${sim.state.businessId}, and their numbers (PIN ${DEMO.pin}):
${DEMO.wabas.map((w) => `  WABA ${w.id} ${w.name}\n${w.numbers.map((n) => `    number ${n.id}  +${n.displayPhoneNumber}  ${n.verifiedName}  ${n.tier}/s`).join('\n')}`).join('\n')}
Templates: ${DEMO.templates.map((t) => `${t.name} (${t.language}, ${t.variables} var)`).join(', ')}`);

const trafficRate = num(env.SIM_TRAFFIC_RATE);
if (trafficRate) {
  sim.startTraffic({ ratePerSecond: trafficRate });
  console.log(`Simulated customers: ${trafficRate} inbound messages/s`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sim.close().then(() => process.exit(0));
  });
}
