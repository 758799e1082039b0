// Usage: node interop.js URL TOKEN ROOM
// Connects with the official socket.io-client, subscribes to ROOM (since 0), prints the subscribe
// ack and every event as JSON lines, and exits 0 once an event of type "interop.ping" arrives.
const { io } = require("socket.io-client");

const [url, token, room] = process.argv.slice(2);
const socket = io(url, { auth: { token }, transports: ["websocket"], reconnection: false });
const timer = setTimeout(() => { console.error("timeout"); process.exit(2); }, 20000);

socket.on("connect_error", (err) => { console.log(JSON.stringify({ connect_error: err.message })); process.exit(3); });
socket.on("connect", () => {
  socket.emit("subscribe", { room, since: 0 }, (ack) => {
    console.log(JSON.stringify({ ack }));
  });
});
socket.on("event", (payload) => {
  console.log(JSON.stringify({ event: payload }));
  if (payload.type === "interop.ping") {
    clearTimeout(timer);
    socket.close();
    process.exit(0);
  }
});
