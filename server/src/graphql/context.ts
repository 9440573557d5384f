import type { Services } from '../services.js';
import type { Viewer } from './viewer.js';

/** What every resolver receives: who is calling, and the services that decide. */
export interface AppContext {
  viewer: Viewer;
  services: Services;
}
