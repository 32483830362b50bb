# One image for both processes: the API by default, the worker with
# `node dist/apps/worker/src/main.js` (see docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json tsconfig.app.json nest-cli.json ./
COPY apps apps
COPY libs libs
COPY scripts scripts
# build:app compiles apps, libs and scripts only: the benchmarks import test peers, which the
# image does not hold (npm run build, with the benchmarks, is for a checkout).
RUN npm run build:app && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
USER node
EXPOSE 3000 3001
# --max-old-space-size and MALLOC_ARENA_MAX: as API_NODE_FLAGS / apiNodeEnvironment in
# libs/platform/src/node-flags.ts (why: see there). Set UV_THREADPOOL_SIZE to the CPUs the
# container gets (npm start sizes it itself; Node's default is 4).
ENV MALLOC_ARENA_MAX=2
CMD ["node", "--max-old-space-size=160", "dist/apps/api/src/main.js"]
