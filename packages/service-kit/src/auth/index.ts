export * from './access.js';
export * from './config.js';
export * from './keys.js';
export * from './revocation.js';
export * from './verifier.js';
