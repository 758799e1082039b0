/* Meridian live updates (browser). Needs the socket.io client (`io`) loaded first.
 *
 *   const live = MeridianLive.connect();            // session cookie; or connect({token})
 *   live.subscribe("meeting:12", (event) => ...);   // event: {seq, room, type, data, at}
 *
 * Each room's last seq is kept in sessionStorage. On (re)connect every room is subscribed again
 * with `since` = that seq, so events missed while away arrive first, in order, then live ones.
 * Events of a room that arrive before its subscribe ack are buffered and delivered by seq after it;
 * a seq already delivered is dropped (the server may send an event both in the backlog and live).
 * `MeridianLive.shared()` gives the page's first connection (or opens one), so the inbox badge and a
 * page's own rooms share one socket.
 * An ack with `reset: true` means too much was missed: `onReset(room)` should reload over the API.
 * When the server takes the viewer out of a room (their access was withdrawn, or narrowed to a case's
 * summary) the room is forgotten and `onRevoked(room, reason)` is called; subscribing again gives
 * whatever access is left.
 */
(function (global) {
  "use strict";

  var STORE = "meridian.live.lastSeq";
  var connections = [];
  var SEEN_LIMIT = 1000;

  function loadSeqs() {
    try { return JSON.parse(global.sessionStorage.getItem(STORE)) || {}; } catch (e) { return {}; }
  }

  function saveSeqs(seqs) {
    try { global.sessionStorage.setItem(STORE, JSON.stringify(seqs)); } catch (e) { /* private mode */ }
  }

  function connect(options) {
    options = options || {};
    var socket = global.io(options.url || "/", {
      auth: options.token ? { token: options.token } : undefined,
      transports: ["websocket"],          // no sticky sessions needed across web processes
      withCredentials: true,
    });
    var rooms = {};      // room -> {handlers, pending (array|null), seen (array of seqs)}
    var lastSeq = loadSeqs();

    function deliver(room, event) {
      var state = rooms[room];
      if (!state || state.seen.indexOf(event.seq) !== -1 || event.seq <= (state.floor || 0)) return;
      state.seen.push(event.seq);
      if (state.seen.length > SEEN_LIMIT) state.seen.shift();
      if (!lastSeq[room] || event.seq > lastSeq[room]) { lastSeq[room] = event.seq; saveSeqs(lastSeq); }
      state.handlers.forEach(function (handler) {
        try { handler(event); } catch (e) { if (global.console) console.error(e); }
      });
    }

    function join(room) {
      var state = rooms[room];
      state.pending = [];
      var since = lastSeq[room];
      var request = since === undefined ? { room: room } : { room: room, since: since };
      socket.timeout(10000).emit("subscribe", request, function (err, ack) {
        var buffered = (state.pending || []).sort(function (a, b) { return a.seq - b.seq; });
        state.pending = null;
        if (err || !ack || !ack.ok) {
          if (options.onError) options.onError(room, err || (ack && ack.error));
          return;
        }
        if (ack.reset && options.onReset) options.onReset(room);
        state.floor = since === undefined || ack.reset ? ack.seq : since;
        buffered.forEach(function (event) { deliver(room, event); });
        if (!lastSeq[room] || ack.seq > lastSeq[room]) { lastSeq[room] = ack.seq; saveSeqs(lastSeq); }
        // The page may reload its state now: whatever happened since it rendered is in that state.
        if (options.onSubscribed) options.onSubscribed(room, ack);
      });
    }

    socket.on("event", function (event) {
      var state = rooms[event.room];
      if (!state) return;
      if (state.pending) state.pending.push(event); else deliver(event.room, event);
    });

    socket.on("unsubscribed", function (notice) {
      if (!notice || !rooms[notice.room]) return;
      delete rooms[notice.room];
      if (options.onRevoked) options.onRevoked(notice.room, notice.reason);
    });

    // Fires on the first connection and after every reconnection: resume each room.
    socket.on("connect", function () { Object.keys(rooms).forEach(join); });
    socket.on("connect_error", function (err) { if (options.onError) options.onError(null, err.message); });

    var connection = {
      socket: socket,
      subscribe: function (room, handler) {
        if (!rooms[room]) {
          rooms[room] = { handlers: [], pending: null, seen: [] };
          if (socket.connected) join(room);
        }
        rooms[room].handlers.push(handler);
      },
      unsubscribe: function (room) {
        delete rooms[room];
        socket.emit("unsubscribe", { room: room });
      },
      lastSeq: function (room) { return lastSeq[room]; },
      close: function () { socket.close(); },
    };
    connections.push(connection);
    return connection;
  }

  function shared() { return connections[0] || connect(); }

  global.MeridianLive = { connect: connect, shared: shared };
})(window);
