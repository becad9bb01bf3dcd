// call.mjs - a real WebRTC call between two headless Chromium through turnd's relay (TAP).
//
// Opens BASE_URL/?room=ROOM&relay=1 (turnd's call page, daemon/www/index.html) in browser A,
// waits until A has joined and waits for a peer, then opens it in browser B (the newcomer
// offers). Both use Chromium's fake camera and microphone. Passes when, within TIMEOUT seconds,
// both pages report window.turndCall.state "connected", a relayed path and decoded video.
//
// RELAY_B=0 opens B without relay=1: A still sends and receives only through its TURN
// allocation, but the peer of that allocation is B's host address instead of another relayed
// address of the same server, so that a kernel fast path can relay the call (between two
// relayed addresses of one server every packet takes the userspace path).
//
// Environment:
//   BASE_URL        the signaling server's page (default http://127.0.0.1:8080)
//   ROOM            the room name (default a random "t-XXXXXXXX")
//   ARTIFACTS       where screenshots, page logs and final states go (default ./artifacts here)
//   CHROMIUM        the browser binary (default /usr/bin/chromium); CHROMIUM_B, if set, is
//                   browser B's (e.g. a wrapper that runs it in another network namespace)
//   CHROMIUM_ARGS   extra browser flags, space-separated
//   RELAY_B         1 (default): both relay only; 0: only A
//   TIMEOUT         seconds to wait for the call (default 45)
//   HOLD            seconds the call goes on once it works, before the final reading (default 0)
// Exit status: the number of failed checks (0 when all passed).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASE_URL = (process.env.BASE_URL || "http://127.0.0.1:8080").replace(/\/+$/, "");
const ROOM = process.env.ROOM || "t-" + Math.random().toString(16).slice(2, 10);
const ARTIFACTS = process.env.ARTIFACTS || path.join(HERE, "artifacts");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const RELAY_B = process.env.RELAY_B !== "0";
const TIMEOUT_MS = (Number(process.env.TIMEOUT) || 45) * 1000;
const HOLD_MS = (Number(process.env.HOLD) || 0) * 1000;
const STEP_MS = 15000;		// page load, join
const CLOSE_MS = 5000;

const FLAGS = [
	"--headless=new", "--no-sandbox",
	"--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--no-first-run",
];

// TAP

const PLAN = 10;
let tapN = 0;
let tapFailed = 0;
let tapQuiet = false;	// stopped by a signal: no more test points

function diag(...lines)
{
	for (const l of lines.join("\n").split("\n"))
		console.log("# " + l);
}

function ok(pass, desc, ...why)
{
	if (tapQuiet)
		return false;
	tapN++;
	console.log(`${pass ? "ok" : "not ok"} ${tapN} - ${desc}`);
	if (!pass) {
		tapFailed++;
		if (why.length)
			diag(...why);
	}
	return pass;
}

// getUserMedia needs a secure context: https, or http on localhost or a loopback address.
// Any other http origin (a namespace's address) is declared secure to the browser.
function originFlags(base)
{
	const u = new URL(base);
	const local = ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
	return u.protocol === "http:" && !local ?
		[`--unsafely-treat-insecure-origin-as-secure=${u.origin}`] : [];
}

function withTimeout(promise, ms, what)
{
	let timer;
	const t = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
	});
	return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One browser with one page; its profile is a fresh temp dir, removed by close().
class Peer {
	constructor(name, exe)
	{
		this.name = name;
		this.exe = exe;
		this.log = [];
		this.browser = null;
		this.page = null;
		this.profile = fs.mkdtempSync(path.join(os.tmpdir(), `turnd-chromium-${name}.`));
	}

	async launch()
	{
		const extra = (process.env.CHROMIUM_ARGS || "").split(/\s+/).filter(Boolean);
		// Over a pipe, not a TCP port: that works when the browser is in another netns.
		this.browser = await puppeteer.launch({
			executablePath: this.exe, pipe: true, ignoreDefaultArgs: true,
			args: [...FLAGS, ...originFlags(BASE_URL), ...extra,
			       `--user-data-dir=${this.profile}`, "about:blank"],
			timeout: STEP_MS, protocolTimeout: STEP_MS,
		});
		this.page = await this.browser.newPage();
		const t0 = Date.now();
		const note = (s) => this.log.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${s}`);
		this.page.on("console", (m) => note(`console.${m.type()}: ${m.text()}`));
		this.page.on("pageerror", (e) => note(`pageerror: ${e.message}`));
		this.page.on("requestfailed",
			     (r) => note(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
		return this.browser.version();
	}

	// Load url and wait for one of the states want; the last state.
	async open(url, want)
	{
		try {
			await this.page.goto(url, { waitUntil: "load", timeout: STEP_MS });
		} catch (e) {
			return { state: "unloaded", error: e.message };
		}
		return this.waitState(want, STEP_MS);
	}

	// A copy of window.turndCall; null when the page has none.
	async state()
	{
		const read = () => window.turndCall ?
			JSON.parse(JSON.stringify(window.turndCall)) : null;
		try {
			return await withTimeout(this.page.evaluate(read), 5000, "evaluate");
		} catch (e) {
			return { state: "unreachable", error: e.message };
		}
	}

	// Poll until the state is one of want (or "failed"), or ms pass; the last state.
	async waitState(want, ms)
	{
		const t0 = Date.now();
		let s;

		for (;;) {
			s = await this.state();
			if (s && (want.includes(s.state) || s.state === "failed"))
				return s;
			if (Date.now() - t0 > ms)
				return s;
			await sleep(100);
		}
	}

	async saveArtifacts(last)
	{
		fs.mkdirSync(ARTIFACTS, { recursive: true });
		const base = path.join(ARTIFACTS, `call-${this.name}`);
		fs.writeFileSync(`${base}.log`, this.log.join("\n") + "\n");
		fs.writeFileSync(`${base}.json`, JSON.stringify(last, null, 2) + "\n");
		if (!this.page)
			throw new Error("no page");
		const shot = this.page.screenshot({ path: `${base}.png` });
		await withTimeout(shot, 10000, "screenshot");
		return `${base}.png`;
	}

	async close()
	{
		if (this.browser) {
			const proc = this.browser.process();
			try {
				await withTimeout(this.browser.close(), CLOSE_MS, "close");
			} catch (e) {
				proc?.kill("SIGKILL");
			}
			this.browser = null;
		}
		fs.rmSync(this.profile, { recursive: true, force: true });
	}
}

function summary(s)
{
	if (!s)
		return "no window.turndCall";
	if (!("pairType" in s))		// the page did not load, or does not answer
		return `state=${s.state} error="${s.error}"`;
	return `state=${s.state} path=${s.pairType} ` +
		`local=${s.localCandidateType} ${s.localAddress} ` +
		`remote=${s.remoteCandidateType} ${s.remoteAddress} rtt=${s.rttMs}ms ` +
		`frames=${s.framesDecoded} rx=${s.bytesReceived} tx=${s.bytesSent} ` +
		`candidates=${s.candidates} gathering=${s.gathering}` +
		(s.error ? ` error="${s.error}"` : "") +
		(s.iceError ? ` iceError="${s.iceError}"` : "");
}

// The relay check: relay-only pages must use a local relay candidate; with RELAY_B=0, B's
// path is relayed at the far end (A's allocation).
function relayed(s, relayOnly)
{
	if (s?.pairType !== "relay")
		return false;
	return relayOnly ? s.localCandidateType === "relay" : s.remoteCandidateType === "relay";
}

const done = (s, relayOnly) => s?.state === "connected" && relayed(s, relayOnly) &&
	s.framesDecoded > 0;

// Poll both pages until both are done, either has failed, or ms pass.
async function waitCall(a, b, ms)
{
	const t0 = Date.now();
	let sa, sb;

	for (;;) {
		[sa, sb] = await Promise.all([a.state(), b.state()]);
		if ((done(sa, true) && done(sb, RELAY_B)) || Date.now() - t0 > ms)
			break;
		if (sa?.state === "failed" || sb?.state === "failed")
			break;
		await sleep(250);
	}
	return { sa, sb, ms: Date.now() - t0 };
}

function checks(sa, sb)
{
	const both = [["A", sa, true], ["B", sb, RELAY_B]];

	for (const [n, s] of both)
		ok(s?.state === "connected", `${n}: connected`, summary(s));
	for (const [n, s, relayOnly] of both)
		ok(relayed(s, relayOnly),
		   `${n}: relayed path${relayOnly ? "" : " (far end)"} (local ` +
		   `${s?.localCandidateType} ${s?.localAddress}, remote ` +
		   `${s?.remoteCandidateType} ${s?.remoteAddress})`, summary(s));
	for (const [n, s] of both)
		ok(s?.framesDecoded > 0 && s.bytesReceived > 0,
		   `${n}: decodes video (${s?.framesDecoded} frames, ${s?.bytesReceived} bytes ` +
		   `received, rtt ${s?.rttMs} ms)`, summary(s));
}

async function call(a, b)
{
	const url = `${BASE_URL}/?room=${encodeURIComponent(ROOM)}`;
	let sa = null, sb = null;

	diag(`page ${url}&relay=1 (A), ${url}${RELAY_B ? "&relay=1" : ""} (B)`);
	try {
		const v = await Promise.all([a.launch(), b.launch()]);
		ok(true, `both browsers start (${v.join(", ")})`);
	} catch (e) {
		ok(false, "both browsers start", e.message);
		return [sa, sb];
	}
	sa = await a.open(url + "&relay=1", ["waiting"]);
	if (!ok(sa?.state === "waiting", "A joins the room and waits for a peer", summary(sa)))
		return [sa, sb];
	sb = await b.open(url + (RELAY_B ? "&relay=1" : ""), ["connecting", "connected"]);
	ok(sb?.peers?.length === 1 && sb.peers[0] === sa.id,
	   "B joins and sees A as the room's peer", summary(sb), `A's id: ${sa.id}`);

	const r = await waitCall(a, b, TIMEOUT_MS);
	({ sa, sb } = r);
	if (HOLD_MS && done(sa, true) && done(sb, RELAY_B)) {
		await sleep(HOLD_MS);
		[sa, sb] = await Promise.all([a.state(), b.state()]);
		r.ms += HOLD_MS;
	}
	diag(`after ${(r.ms / 1000).toFixed(1)} s:`, "A: " + summary(sa), "B: " + summary(sb));
	checks(sa, sb);
	return [sa, sb];
}

async function main()
{
	if (!/^[A-Za-z0-9_.-]{1,64}$/.test(ROOM)) {
		console.log(`Bail out! ROOM "${ROOM}" is not a room name ([A-Za-z0-9_.-]{1,64})`);
		return 255;
	}
	const a = new Peer("A", CHROMIUM);
	const b = new Peer("B", process.env.CHROMIUM_B || CHROMIUM);
	let last = [null, null];

	// A reader that goes away (| head) must not stop the cleanup.
	process.stdout.on("error", () => {});
	console.log(`1..${PLAN}`);
	const stop = async (sig) => {
		tapQuiet = true;
		diag(`caught ${sig}, closing the browsers`);
		await Promise.all([a.close(), b.close()]);
		process.exit(128 + os.constants.signals[sig]);
	};
	process.once("SIGINT", stop).once("SIGTERM", stop);
	try {
		last = await call(a, b);
	} catch (e) {
		diag(`error: ${e.message}`);
	}
	let shots = 0;
	for (const [i, p] of [a, b].entries()) {
		try {
			diag(`artifact ${await p.saveArtifacts(last[i])}`);
			shots++;
		} catch (e) {
			diag(`${p.name}: no screenshot: ${e.message}`);
		}
		if (tapFailed)
			diag(`--- ${p.name}'s page log:`, ...p.log.slice(-15));
	}
	await Promise.all([a.close(), b.close()]);
	while (tapN < PLAN - 1)
		ok(false, "not run (an earlier step failed)");
	ok(shots === 2, `screenshots of both pages saved in ${ARTIFACTS}`);
	return Math.min(tapFailed, 254);
}

process.exitCode = await main();
