export * from './app.js';
export * from './config.js';
export * from './database.js';
export * from './errors.js';
export * from './logger.js';
export * from './migrations.js';
export * from './run.js';
export * from './idempotency.js';
