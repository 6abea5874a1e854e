// Starts what a browser test needs as real processes: the built `auth0-emulator` binary, the
// built `portico serve` with a fresh data dir on free loopback ports, a tiny upstream HTTP
// server, and headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core.
// Everything started here is stopped by `stop()`; nothing outside 127.0.0.1 is contacted.

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "..", "..");
const targetDir = process.env.CARGO_TARGET_DIR
  ? resolve(process.env.CARGO_TARGET_DIR)
  : join(repoRoot, "target");
const binaries = join(targetDir, "debug");

/** Where screenshots go; not committed (`target/` is ignored). */
export const screenshotDir =
  process.env.PORTICO_SCREENSHOTS || join(repoRoot, "target", "screenshots");

export const chromiumPath = process.env.PORTICO_CHROMIUM || "/usr/bin/chromium";

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createTcpServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function sleep(ms) {
  return new Promise((done) => setTimeout(done, ms));
}

/** Keeps the last lines a process printed, to explain a failure without printing secrets. */
function tail(stream, lines) {
  const reader = createInterface({ input: stream });
  reader.on("line", (line) => {
    lines.push(line);
    if (lines.length > 200) lines.shift();
  });
  return reader;
}

class Process {
  constructor(name, child) {
    this.name = name;
    this.child = child;
    this.stderr = [];
    this.exited = false;
    tail(child.stderr, this.stderr);
    child.on("exit", () => {
      this.exited = true;
    });
  }

  async stop() {
    if (this.exited) return;
    const exited = new Promise((done) => this.child.once("exit", done));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** The Auth0 emulator binary; resolves with its handshake line (issuer, credentials). */
export async function startEmulator() {
  const port = await freePort();
  const child = spawn(join(binaries, "auth0-emulator"), ["--listen", `127.0.0.1:${port}`], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: "warn" },
  });
  const process_ = new Process("auth0-emulator", child);
  const handshake = await new Promise((done, reject) => {
    const reader = createInterface({ input: child.stdout });
    reader.once("line", (line) => done(JSON.parse(line)));
    child.once("exit", (code) =>
      reject(new Error(`auth0-emulator exited (${code}): ${process_.stderr.join("\n")}`)),
    );
  });
  return {
    ...handshake,
    process: process_,
    /** Makes the next `n` matching requests fail, as Auth0 does when it struggles. */
    async failNext(method, pathPrefix, n, status) {
      const response = await fetch(`${handshake.base_url}/__emulator/fail-next`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ method, path_prefix: pathPrefix, n, status }),
      });
      if (response.status !== 204) {
        throw new Error(`the emulator refused the fault rule: ${response.status}`);
      }
    },
  };
}

/** A tiny upstream: answers every request with JSON describing what it received. */
export async function startUpstream() {
  const requests = [];
  const server = createServer((request, response) => {
    requests.push({ method: request.method, url: request.url, headers: request.headers });
    const body = JSON.stringify({
      upstream: "weather",
      forecast: "sunny",
      path: request.url,
      client_id: request.headers["x-client-id"] ?? null,
      application_name: request.headers["x-application-name"] ?? null,
    });
    response.writeHead(200, { "content-type": "application/json" });
    response.end(body);
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise((done) => server.close(done)),
  };
}

/** `portico serve` from the built binary with a fresh data dir; resolves once /status is 200. */
export async function startPortico() {
  const dataDir = mkdtempSync(join(tmpdir(), "portico-browser-"));
  const [proxy, admin, portal] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(
    join(binaries, "portico"),
    [
      "serve",
      "--proxy-listen", `127.0.0.1:${proxy}`,
      "--admin-listen", `127.0.0.1:${admin}`,
      "--portal-listen", `127.0.0.1:${portal}`,
      "--data-dir", dataDir,
    ],
    {
      // The generated admin token is printed on stdout; it is read from the data dir instead.
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, PORTICO_LOG: process.env.PORTICO_LOG || "warn" },
    },
  );
  const process_ = new Process("portico", child);
  const adminUrl = `http://127.0.0.1:${admin}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (process_.exited) {
      throw new Error(`portico exited early:\n${process_.stderr.join("\n")}`);
    }
    try {
      const response = await fetch(`${adminUrl}/status`);
      if (response.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error("portico did not become ready in 30 s");
    await sleep(100);
  }
  const adminToken = readFileSync(join(dataDir, "admin-token"), "utf8").trim();
  return {
    adminUrl,
    portalUrl: `http://127.0.0.1:${portal}`,
    proxyUrl: `http://127.0.0.1:${proxy}`,
    adminToken,
    dataDir,
    process: process_,
    /** The admin JSON API, for checks the pages do not show. */
    async adminApi(method, path, body) {
      const response = await fetch(`${adminUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${adminToken}`,
          ...(body ? { "content-type": "application/json" } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    },
    async stop() {
      await process_.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Headless Chromium. Playwright gives each `launch` a fresh temporary profile
 * (user-data-dir), and every test opens its own context, so no cookie or cache leaks between
 * tests.
 */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** Full-page screenshots of the current page at desktop and phone widths. */
export async function screenshots(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const original = page.viewportSize() || DESKTOP;
  for (const [label, size] of [["desktop", DESKTOP], ["phone", PHONE]]) {
    await page.setViewportSize(size);
    await page.screenshot({ path: join(screenshotDir, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(original);
}

/** Everything one test file needs, started together and stopped together. */
export async function startAll() {
  const emulator = await startEmulator();
  const upstream = await startUpstream();
  const portico = await startPortico();
  const browser = await launchBrowser();
  return {
    emulator,
    upstream,
    portico,
    browser,
    async stop() {
      await browser.close().catch(() => {});
      await portico.stop().catch(() => {});
      await emulator.process.stop().catch(() => {});
      await upstream.stop().catch(() => {});
    },
    /** Runs `body`; when it fails, prints what the servers said before failing. */
    async explain(body) {
      try {
        return await body();
      } catch (error) {
        console.error(
          [
            "--- portico stderr ---",
            ...portico.process.stderr,
            "--- auth0-emulator stderr ---",
            ...emulator.process.stderr,
          ].join("\n"),
        );
        throw error;
      }
    },
  };
}

/** Polls `check` until it returns a truthy value or the time is up. */
export async function eventually(check, { timeoutMs = 10_000, intervalMs = 200 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) return last;
    await sleep(intervalMs);
  }
}
