/** ./scripts/down: stops exactly what ./scripts/up started (data in .ludic/ is kept). */
import { localStackConfig, stopLocalStack } from '../local-stack.js';

const stopped = await stopLocalStack(localStackConfig(), (message) => console.log(`==> ${message}`));
console.log(stopped ? '==> Ludic is down' : '==> Ludic was not running');
