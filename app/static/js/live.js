/* Meridian live updates (browser). Needs the socket.io client (`io`) loaded first.
 * The delivery protocol is in docs/live.md; this file carries no words a person reads.
 *
 *   const live = MeridianLive.connect();            // session cookie; or connect({token})
 *   live.subscribe("meeting:12", (event) => ...);   // event: {seq, prev, room, type, data, at}
 *
 * Per room, events are applied strictly in seq order, each once. Every event names `prev`, the
 * room's previous event; one whose `prev` is not applied yet waits in a buffer. If the gap is not
 * filled within `gapWait` ms (the missing event may still be in flight), or the server's `heads`
 * heartbeat says the room is further on, the room is subscribed again with `since` = the last
 * contiguous seq and the backlog fills the gap. Each room's last contiguous seq is kept in
 * sessionStorage; on (re)connect every room is subscribed again with it.
 * A subscribe with no answer within 10 s, or refused for a passing failure (`internal_error`), is asked
 * again `gapWait` later (the server may not have joined it); so is a room the heartbeat does not name
 * (the server does not hold it). A subscribe refused for good forgets the room and calls `onError`.
 * `MeridianLive.shared()` gives the page's first connection (or opens one), so the inbox badge and a
 * page's own rooms share one socket.
 * The backlog comes a page at a time, as large as the server allows (the page's
 * `meridian-live-replay-page` meta, or `connect({replayPage})`): an ack with `next` is followed by
 * subscribing again from it.
 * An ack with `reset: true` means too much was missed: `onReset(room)` should reload over the API.
 * When the server takes the viewer out of a room (their access was withdrawn, or narrowed to a case's
 * summary) the room is forgotten and `onRevoked(room, reason)` is called; subscribing again gives
 * whatever access is left.
 */
(function (global) {
  "use strict";

  var STORE = "meridian.live.lastSeq";
  var GAP_WAIT_MS = 1500;
  var ANSWER_WAIT_MS = 10000;   // a subscribe unanswered this long is asked again
  var RETRIED_REFUSAL = "internal_error";   // a passing failure on the server: the subscribe is asked again

  // The most events the server replays per subscribe, as the page states it (none stated: the server's default).
  function replayPageOfThePage() {
    var meta = global.document && global.document.querySelector('meta[name="meridian-live-replay-page"]');
    var size = meta ? parseInt(meta.getAttribute("content"), 10) : NaN;
    return size > 0 ? size : undefined;
  }
  var connections = [];

  function loadSeqs() {
    try { return JSON.parse(global.sessionStorage.getItem(STORE)) || {}; } catch (e) { return {}; }
  }

  function saveSeqs(seqs) {
    try { global.sessionStorage.setItem(STORE, JSON.stringify(seqs)); } catch (e) { /* private mode */ }
  }

  function connect(options) {
    options = options || {};
    var gapWait = options.gapWait || GAP_WAIT_MS;
    var socket = global.io(options.url || "/", {
      auth: options.token ? { token: options.token } : undefined,
      transports: ["websocket"],          // no sticky sessions needed across web processes
      withCredentials: true,
    });
    // room -> {handlers, pending (array while a subscribe is answered, else null),
    //          ahead ({seq: event} waiting for their prev), head (latest seq the server told), timer,
    //          unanswered (the last subscribe had no answer in time, or failed: the server may not have
    //          joined us), unheld (the last heartbeat did not name the room: the server does not hold it)}
    var rooms = {};
    var headsSeen = 0;   // heartbeats received on this connection
    var lastSeq = loadSeqs();   // room -> last contiguous seq: every event up to it is applied

    function apply(room, event) {
      lastSeq[room] = event.seq;
      rooms[room].handlers.forEach(function (handler) {
        try { handler(event); } catch (e) { if (global.console) console.error(e); }
      });
    }

    // Apply whatever in `ahead` is next in line, in seq order; arm the gap timer if anything is missing.
    function drain(room) {
      var state = rooms[room];
      if (!state) return;
      var applied = false;
      for (;;) {
        var last = lastSeq[room] || 0, next = null;
        Object.keys(state.ahead).forEach(function (key) {
          var event = state.ahead[key];
          if (event.seq <= last) { delete state.ahead[key]; return; }
          if ((event.prev || 0) <= last && (next === null || event.seq < next.seq)) next = event;
        });
        if (next === null) break;
        delete state.ahead[next.seq];
        apply(room, next);
        applied = true;
        if (!rooms[room]) return;   // a handler unsubscribed
      }
      if (applied) saveSeqs(lastSeq);
      if (Object.keys(state.ahead).length || state.head > (lastSeq[room] || 0)) arm(room);
    }

    function arm(room) {
      var state = rooms[room];
      if (!state || state.timer || state.pending) return;
      state.timer = global.setTimeout(function () {
        state.timer = null;
        if (rooms[room] !== state || state.pending || !socket.connected) return;
        if (state.unanswered || state.unheld || Object.keys(state.ahead).length ||
            state.head > (lastSeq[room] || 0)) join(room);
      }, gapWait);
    }

    function offer(room, event) {
      var state = rooms[room];
      if (event.seq <= (lastSeq[room] || 0) || state.ahead[event.seq]) return;
      state.ahead[event.seq] = event;
      drain(room);
    }

    function join(room) {
      var state = rooms[room];
      state.pending = state.pending || [];
      if (state.timer) { global.clearTimeout(state.timer); state.timer = null; }
      var since = lastSeq[room];
      // Catching up, ask for the largest page the server sends, so a long backlog takes few round trips.
      var request = since === undefined ? { room: room } : { room: room, since: since };
      var replayPage = options.replayPage || replayPageOfThePage();
      if (since !== undefined && replayPage) request.limit = replayPage;
      socket.timeout(ANSWER_WAIT_MS).emit("subscribe", request, function (err, ack) {
        if (rooms[room] !== state) return;
        var buffered = state.pending || [];
        state.pending = null;
        state.unheld = false;
        state.headsAtAnswer = headsSeen;
        // No answer in time, or a passing failure: ask again, whether or not anything is known to be missing.
        state.unanswered = Boolean(err) || !ack || ack.code === RETRIED_REFUSAL;
        if (err || !ack || !ack.ok) {
          buffered.forEach(function (event) { state.ahead[event.seq] = event; });
          if (options.onError) options.onError(room, err || (ack && ack.error));
          if (state.unanswered) arm(room);
          else forget(room);   // refused for good: the server sends this room nothing
          return;
        }
        if (since === undefined || ack.reset) lastSeq[room] = ack.seq;
        if (ack.reset && options.onReset) options.onReset(room);
        buffered.forEach(function (event) { if (!state.ahead[event.seq]) state.ahead[event.seq] = event; });
        drain(room);
        if (!rooms[room]) return;
        if (ack.next) {
          // One page of the backlog came before the ack; ask for the next from where it ended.
          if (!lastSeq[room] || ack.next > lastSeq[room]) lastSeq[room] = ack.next;
          saveSeqs(lastSeq);
          join(room);
          return;
        }
        // The backlog up to ack.seq came before the ack: nothing up to it is missing.
        if (!lastSeq[room] || ack.seq > lastSeq[room]) lastSeq[room] = ack.seq;
        saveSeqs(lastSeq);
        drain(room);
        // The page may reload its state now: whatever happened since it rendered is in that state.
        if (options.onSubscribed) options.onSubscribed(room, ack);
      });
    }

    socket.on("event", function (event) {
      var state = rooms[event.room];
      if (!state) return;
      if (state.pending) state.pending.push(event); else offer(event.room, event);
    });

    // The server's heartbeat: each room's latest seq. Behind it, wait for what is in flight, then replay.
    // A room it does not name is not held by the server: subscribe again after the same wait. Only from
    // the second heartbeat after the room's answer: the first may have been read before the server held it.
    socket.on("heads", function (message) {
      var heads = (message && message.rooms) || {};
      headsSeen += 1;
      Object.keys(rooms).forEach(function (room) {
        var state = rooms[room];
        if (Object.prototype.hasOwnProperty.call(heads, room)) {
          state.unheld = false;
          state.head = Math.max(state.head || 0, heads[room]);
          if (state.head > (lastSeq[room] || 0)) arm(room);
        } else if (!state.pending && headsSeen - (state.headsAtAnswer || 0) >= 2) {
          state.unheld = true;
          arm(room);
        }
      });
    });

    socket.on("unsubscribed", function (notice) {
      if (!notice || !rooms[notice.room]) return;
      forget(notice.room);
      if (options.onRevoked) options.onRevoked(notice.room, notice.reason);
    });

    function forget(room) {
      var state = rooms[room];
      if (state && state.timer) global.clearTimeout(state.timer);
      delete rooms[room];
    }

    // Fires on the first connection and after every reconnection: resume each room.
    socket.on("connect", function () { Object.keys(rooms).forEach(join); });
    socket.on("connect_error", function (err) { if (options.onError) options.onError(null, err.message); });

    var connection = {
      socket: socket,
      subscribe: function (room, handler) {
        if (!rooms[room]) {
          rooms[room] = { handlers: [], pending: null, ahead: {}, head: 0, timer: null };
          if (socket.connected) join(room);
        }
        rooms[room].handlers.push(handler);
      },
      unsubscribe: function (room) {
        forget(room);
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
