export * from './graph-client.js';
export * from './meta-errors.js';
export * from './signature.js';
