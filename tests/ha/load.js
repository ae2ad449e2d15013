// Submission load for tests/ha/ha-test.sh: POST /spark at a steady rate
// over parallel keep-alive connections, one JSON line per request in OUT.
// Each request carries its number n in spec.arguments ("ha-<n>"), so the
// check can find the SparkApplication a request made, if any.
//
//   node load.js URL CA BODY OUT SECONDS RATE CONNS
//
// A line: {"n","status" (0: no answer),"id","ms","at","err","body"
// (of an error)}.
'use strict';
const https = require('https');
const fs = require('fs');

const [url, ca, bodyFile, out, secs, rate, conns] = process.argv.slice(2);
const base = JSON.parse(fs.readFileSync(bodyFile, 'utf8'));
const agent = new https.Agent({ keepAlive: true, maxSockets: +conns,
    ca: fs.readFileSync(ca) });
const auth = 'Basic ' + Buffer.from('alice:alice-pw').toString('base64');
const o = fs.openSync(out, 'w');
const t0 = Date.now();
const end = t0 + secs * 1000;
let n = 0, inflight = 0, done = 0;

function post(i) {
	const body = JSON.stringify(Object.assign({}, base,
	    { arguments: ['ha-' + i] }));
	const t = Date.now();
	inflight++;
	const req = https.request(url + '/spark', { method: 'POST', agent,
	    headers: { 'Content-Type': 'application/json', Authorization: auth,
	    'Content-Length': Buffer.byteLength(body) }, timeout: 60000 },
	    (res) => {
		let b = '';
		res.setEncoding('utf8');
		res.on('data', (c) => { b += c; });
		res.on('end', () => finish(i, t, res.statusCode, b, null));
		res.on('error', (e) => finish(i, t, 0, '', e));
	});
	req.on('timeout', () => req.destroy(new Error('timeout')));
	req.on('error', (e) => finish(i, t, 0, '', e));
	req.end(body);
}

function finish(i, t, status, b, err) {
	let id = null;
	if (status >= 200 && status < 300) {
		try { id = JSON.parse(b).submissionId || null; } catch (e) { }
	}
	fs.writeSync(o, JSON.stringify({ n: i, status, id, ms: Date.now() - t,
	    at: t - t0, err: err ? String(err.code || err.message) : null,
	    body: status >= 300 ? b.slice(0, 400) : undefined }) + '\n');
	inflight--;
	done++;
}

// Start request n at t0 + n / rate, no more than conns at a time.
const timer = setInterval(() => {
	const now = Date.now();
	while (now < end && n < (now - t0) * rate / 1000 && inflight < +conns)
		post(n++);
	if (now >= end && inflight === 0) {
		clearInterval(timer);
		fs.closeSync(o);
		agent.destroy();
		console.log(`load: ${done} requests in ${(now - t0) / 1000} s`);
	}
}, 5);
