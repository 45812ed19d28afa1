/**
 * LINE webhook message events for the pipeline bench, in CommonJS so that autocannon's worker
 * threads can require it: in workers mode a per-request function must be given as a module path.
 * Signing each delivery there keeps the load generator off the server's event loop (in-process,
 * the generator took turns with the acks it measured).
 */
const { createHmac, randomBytes, randomInt } = require("node:crypto");

const TEXT = "Hello, I would like to ask about the delivery date of my order, please."; // a LINE-sized text message

/** A text message event; `n` makes its message id (message ids are unique per LINE, and Tsunagu drops repeats). */
function messageEvent(userId, n, at = Date.now(), prefix = "01BENCH") {
  return {
    type: "message",
    mode: "active",
    timestamp: at,
    webhookEventId: `${prefix}${randomBytes(10).toString("hex").toUpperCase()}`,
    deliveryContext: { isRedelivery: false },
    source: { type: "user", userId },
    replyToken: randomBytes(16).toString("hex"),
    message: { id: String(100000000 + n), type: "text", quoteToken: randomBytes(8).toString("hex"), text: `${TEXT} #${n}` },
  };
}

/** The body and headers of a delivery as LINE signs it (X-Line-Signature: base64 HMAC-SHA256 with the channel secret). */
function signedDelivery(events, channelSecret) {
  const body = JSON.stringify({ destination: "Ubench", events });
  const signature = createHmac("sha256", channelSecret).update(body).digest("base64");
  return { body, headers: { "content-type": "application/json", "x-line-signature": signature } };
}

// In a worker thread: the channel and users come from BENCH_WEBHOOK (JSON), set before the run;
// message numbers start at a random offset far above the main thread's, so ids never repeat.
let next = 1_000_000_000 + randomInt(1_000_000_000);

/** autocannon's setupRequest: one signed delivery with one message event from the next user. */
function setupRequest(req) {
  const { channelSecret, users } = JSON.parse(process.env.BENCH_WEBHOOK);
  const n = next++;
  return { ...req, ...signedDelivery([messageEvent(users[n % users.length], n)], channelSecret) };
}

module.exports = setupRequest;
module.exports.messageEvent = messageEvent;
module.exports.signedDelivery = signedDelivery;
