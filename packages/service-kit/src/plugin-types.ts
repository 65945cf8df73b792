/// <reference types="@fastify/redis" preserve="true" />
/// <reference types="@fastify/jwt" preserve="true" />
// What the kit's plugins decorate (`app.redis`, `request.user`) must be visible to services
// that compile against the kit's declarations without depending on those plugins themselves;
// `preserve` keeps these references in the emitted .d.ts.
export {};
