import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadEnv } from './config/env.js';
import { migrateDatabase } from './db/migrate.js';
import { createCore } from './runtime.js';
import { seedDemo } from './demo.js';
import { configureLogger } from './lib/logger.js';
import { seedStarterTemplates } from './modules/rule-templates/rule-templates.starters.js';

// `pnpm start`: migrate, then run the server and the worker as two processes (as production
// does, so they use both cores). With no Meta settings it first starts the Meta simulator, seeds
// a demo tenant and lets simulated customers write in, so the dashboard is live at once.
const env = loadEnv();
const log = configureLogger({ level: env.LOG_LEVEL, role: 'start' });
const demo = env.DEMO === 'true' || (env.DEMO === 'auto' && !process.env.META_GRAPH_URL);

await migrateDatabase(env.DATABASE_URL, seedStarterTemplates);
log.info('migrations applied');

const childEnv: NodeJS.ProcessEnv = { ...process.env };
let stopDemo: (() => Promise<void>) | undefined;
if (demo) {
  const { startSimulator, DEMO } = await import('@wabahub/meta-simulator');
  const sim = await startSimulator({ port: env.SIM_PORT, webhookUrl: `http://127.0.0.1:${env.PORT}/webhooks/whatsapp`, appId: env.META_APP_ID, appSecret: env.META_APP_SECRET, systemToken: env.META_SYSTEM_TOKEN, verifyToken: env.META_VERIFY_TOKEN, quiet: true });
  childEnv.META_GRAPH_URL = `${sim.url}/v21.0`;
  const core = await createCore({ ...env, META_GRAPH_URL: childEnv.META_GRAPH_URL });
  const numbers = DEMO.wabas.flatMap((w) => w.numbers.map((n) => ({ ...n, wabaId: w.id })));
  await seedDemo(core.database.db, core.services, numbers, env.META_SYSTEM_TOKEN);
  await core.close();
  log.info({ simulator: sim.url }, `demo: Meta simulator on ${sim.url}, demo tenant "Loja Demo" with ${numbers.length} numbers`);
  stopDemo = () => sim.close();
  // Customers start writing once the server is up.
  setTimeout(() => sim.startTraffic({ ratePerSecond: 3 }), 4000).unref();
}

const here = fileURLToPath(new URL('.', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const children: ChildProcess[] = ['main.ts', 'worker.ts'].map((entry) => spawn(tsx, [`${here}${entry}`], { env: childEnv, stdio: 'inherit' }));
// The development operator key is printed for the person at the terminal; in production only its name.
process.stdout.write(`wabahub: dashboard http://localhost:${env.PORT}/  (operator key: ${env.NODE_ENV === 'production' ? 'OPERATOR_API_KEY' : env.OPERATOR_API_KEY})\n`);

let stopping = false;
const stop = async (code = 0) => {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  await stopDemo?.();
  process.exit(code);
};
for (const child of children) child.on('exit', (code) => { if (!stopping) { log.error({ code }, 'a wabahub process exited; stopping'); void stop(1); } });
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
