// Schedules and retries across two gateway instances, while tests/ha/
// ha-test.sh kills and restarts things under them.  A schedule firing
// every 10 s is made through URL1 (its request tagged "sched"); every 5 s
// a request with a retryPolicy (2 attempts) goes to URL1 and URL2 in turn,
// tagged "retry-<j>", and the stand-in's operator fails its first attempt
// by name.  After SECONDS the schedule is suspended and each job's second
// attempt awaited (up to 120 s).  OUT gets one JSON object: {"schedule",
// "jobs":[{"j","status","first","second"}]}, for check.js.
//
//   node auto.js URL1 URL2 CA BODY CONTROL OUT SECONDS
'use strict';
const https = require('https');
const http = require('http');
const fs = require('fs');

const [u1, u2, ca, bodyFile, control, out, secs] = process.argv.slice(2);
const base = JSON.parse(fs.readFileSync(bodyFile, 'utf8'));
const agent = new https.Agent({ keepAlive: true, maxSockets: 4,
    ca: fs.readFileSync(ca) });
const auth = 'Basic ' + Buffer.from('alice:alice-pw').toString('base64');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function call(mod, url, method, body, headers) {
	return new Promise((resolve) => {
		const h = Object.assign({}, headers || {});
		if (body) {
			h['Content-Type'] = 'application/json';
			h['Content-Length'] = Buffer.byteLength(body);
		}
		const req = mod.request(url, { method, timeout: 60000, headers: h,
		    agent: mod === https ? agent : undefined }, (res) => {
			let b = '';
			res.setEncoding('utf8');
			res.on('data', (c) => { b += c; });
			res.on('end', () => {
				let j = null;
				try { j = JSON.parse(b); } catch (e) { }
				resolve({ status: res.statusCode, json: j, body: b });
			});
		});
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', () => resolve({ status: 0, json: null, body: '' }));
		req.end(body);
	});
}
const api = (url, method, body) =>
	call(https, url, method, body ? JSON.stringify(body) : null,
	    { Authorization: auth });
const ctl = (path, body) =>
	call(http, control + path, 'POST', JSON.stringify(body));
const clusterOf = (id) => id.replace(/-[0-9a-f]{32}$/, '');

async function main() {
	const end = Date.now() + secs * 1000;
	const s = await api(u1 + '/schedules', 'POST', { name: 'ha',
	    cron: '@every 10s', request: Object.assign({}, base,
	    { arguments: ['sched'] }) });
	if (s.status !== 200 || !s.json || !s.json.scheduleId) {
		console.error(`auto: schedule: ${s.status} ${s.body}`);
		process.exit(1);
	}
	const res = { schedule: s.json.scheduleId, jobs: [] };
	for (let j = 0; Date.now() < end; j++) {
		const t = Date.now();
		await ctl('/clusters/spark-cluster-a/operator', { frozen: true });
		await ctl('/clusters/spark-cluster-b/operator', { frozen: true });
		const r = await api((j % 2 ? u2 : u1) + '/spark', 'POST',
		    Object.assign({}, base, { arguments: ['retry-' + j],
		    retryPolicy: { maxAttempts: 2, backoffSeconds: 1,
		    onStates: ['FAILED'] } }));
		const first = r.status === 200 && r.json ?
		    r.json.submissionId : null;
		if (first)
			await ctl('/clusters/' + clusterOf(first) + '/operator',
			    { apps: { [first]: 'FAILED' } });
		await ctl('/clusters/spark-cluster-a/operator', { frozen: false });
		await ctl('/clusters/spark-cluster-b/operator', { frozen: false });
		res.jobs.push({ j, status: r.status, first, second: null });
		await sleep(Math.max(0, 5000 - (Date.now() - t)));
	}
	// check.js wants 3 fires done.  A minute's run with a node's loss in
	// it (the lease stalls meanwhile) makes about 5, fewer on a machine
	// slowed down: before the suspend, wait (up to 120 s) until the
	// schedule lists 3 fires with their submissions.
	const fired = Date.now() + 120000;
	while (Date.now() < fired) {
		const r = await api(u1 + '/schedules/' + res.schedule, 'GET');
		const subs = r.json && Array.isArray(r.json.submissions) ?
		    r.json.submissions : [];
		if (subs.filter((x) => x.submissionId).length >= 3)
			break;
		await sleep(1000);
	}
	// A suspend refused during a fault is tried again.
	for (let i = 0; i < 30; i++) {
		const r = await api(u1 + '/schedules/' + res.schedule +
		    '/suspend', 'POST');
		if (r.status === 200)
			break;
		await sleep(1000);
	}
	const deadline = Date.now() + 120000;
	for (const job of res.jobs.filter((x) => x.first)) {
		while (!job.second && Date.now() < deadline) {
			const r = await api(u2 + '/spark/' + job.first + '/status',
			    'GET');
			if (r.json && r.json.nextSubmissionId)
				job.second = r.json.nextSubmissionId;
			else
				await sleep(500);
		}
	}
	fs.writeFileSync(out, JSON.stringify(res));
	agent.destroy();
	console.log(`auto: schedule ${res.schedule}; ${res.jobs.length} jobs ` +
	    `with retries, ${res.jobs.filter((x) => x.first).length} ` +
	    `accepted, ${res.jobs.filter((x) => x.second).length} with ` +
	    `their second attempt`);
}
main();
