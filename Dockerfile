# One image per service from the same recipe:
#   docker build --build-arg SERVICE=wallet -t ludic/wallet .
# Stage 1 installs the workspace, compiles TypeScript and deploys one service with only its
# production dependencies; stage 2 runs that folder as an unprivileged user.
FROM node:20-bookworm-slim AS build
ARG SERVICE
RUN test -n "$SERVICE" || (echo "--build-arg SERVICE=auth-gateway|wallet|bets is required" && false)
RUN npm install -g pnpm@12.4.2
WORKDIR /src
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json .npmrc ./
COPY packages packages
COPY services services
# Every workspace project the lockfile lists must exist, even those this image does not install.
COPY deploy/package.json deploy/package.json
COPY tsconfig.base.json tsconfig.json ./
# Only this service and the workspace packages it depends on (not the dev tooling's PostgreSQL).
RUN pnpm install --frozen-lockfile --filter "@ludic/${SERVICE}..."
RUN pnpm --filter "@ludic/${SERVICE}" exec tsc -b
RUN pnpm --filter "@ludic/${SERVICE}" deploy --prod /out

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /out /app
USER node
# Liveness only; orchestrators should route by /ready.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=80", "dist/server.js"]
