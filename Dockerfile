# One image for every process: `api` (the default), `worker`, `migrate`; see docker-compose.yml.
# Build stage: all dependencies, then `npm run build` (TypeScript, the prebuilt workflow bundle and
# whatever else the build script grows, e.g. the web page) into dist/.
# Runtime stage: production dependencies only, dist/ and the SQL migrations, run as user `node`.
ARG NODE_IMAGE=node:22-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Node 22's npm (10.x) does not read package.json "allowScripts" and would run every install script,
# so none run here; the build needs none (esbuild and friends ship binaries as optional packages).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
# Everything .dockerignore lets through, so new build inputs need no change here.
COPY . .
RUN npm run build

FROM ${NODE_IMAGE}
# glibc gives each thread (render threads, Temporal's Rust core) its own malloc arena; two arenas
# cut the worker's peak RSS by about 50 MB at no measurable cost (npm run bench). Blocks of 128 KB
# or more (page images, the encoded pages sent to the model) are mapped on their own and given
# back when freed, rather than left as holes in a heap that only grows: README.md, "Processes".
ENV NODE_ENV=production DATA_DIR=/data MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts run only for the packages package.json "allowScripts" sets to true (embedded
# Postgres links its binaries; it serves `ocr dev` only), whatever npm version the image carries.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && allowed="$(node -p "Object.entries(require('./package.json').allowScripts ?? {}).filter(([, on]) => on === true).map(([name]) => name).join(' ')")" \
  && if [ -n "$allowed" ]; then npm rebuild $allowed; fi \
  && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY sql ./sql
# DATA_DIR: upload temp files and the worker's file cache; a volume in docker-compose.yml.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 54188
# Probes the API (GET /healthz: Postgres and Temporal reachable). The worker serves no HTTP, so
# run it with the check disabled (`healthcheck: disable: true` in compose, or --no-healthcheck).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||54188)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Small young-generation semi-spaces, heaps that grow little: see src/main/cli.ts. Exec form: node
# is PID 1 and receives SIGTERM itself, so `docker stop` gets the graceful shutdown.
ENTRYPOINT ["node", "--max-semi-space-size=2", "--optimize-for-size", "dist/main/cli.js"]
CMD ["api"]
