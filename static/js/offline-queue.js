/* Fieldwork: the visits logged on this phone, kept in IndexedDB until the server has confirmed each one.
 * Used by the pages (offline.js) and by the service worker (Background Sync), so it touches no DOM.
 *
 * An item: {uuid, user, visit: <what is sent>, household, outcome (labels for the list), state, note, message,
 * field, created, updated}. state: 'waiting' (note says why it is still here), 'sent' (the server confirmed it),
 * 'attention' (the server refused it, message says why; the member reads it and removes it).
 * Only one sender at a time on the phone (Web Locks, where the browser has them); the server recognises a visit
 * sent twice by its UUID anyway, so a second sender costs a request, never a duplicate.
 */
(function (g) {
  'use strict';
  var SYNC_URL = '/dong-bo/van-dong', SESSION_URL = '/dong-bo/phien', BATCH = 25, TIMEOUT = 20000;
  var CONFIRMED = {accepted: 1, duplicate: 1, needs_attention: 1};
  var dbPromise = null;

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise(function (ok, ko) {
        var r = indexedDB.open('fieldwork', 1);
        r.onupgradeneeded = function () {
          r.result.createObjectStore('visits', {keyPath: 'uuid'});
          r.result.createObjectStore('meta');
        };
        r.onsuccess = function () {
          r.result.onversionchange = function () { r.result.close(); dbPromise = null; };
          ok(r.result);
        };
        r.onerror = function () { dbPromise = null; ko(r.error); };
      });
    }
    return dbPromise;
  }

  /* One transaction; resolves once it is durably committed, with what fn's last request returned. */
  function run(store, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (ok, ko) {
        var tx = db.transaction(store, mode, {durability: 'strict'}), result;
        var r = fn(tx.objectStore(store));
        if (r) r.onsuccess = function () { result = r.result; };
        tx.oncomplete = function () { ok(result); };
        tx.onerror = tx.onabort = function () { ko(tx.error); };
      });
    });
  }

  function all() { return run('visits', 'readonly', function (s) { return s.getAll(); }); }
  function list(user) {
    return all().then(function (items) {
      return items.filter(function (i) { return i.user === user; })
        .sort(function (a, b) { return a.created - b.created; });
    });
  }
  function get(uuid) { return run('visits', 'readonly', function (s) { return s.get(uuid); }); }
  function put(item) { item.updated = Date.now(); return run('visits', 'readwrite', function (s) { return s.put(item); }); }
  function remove(uuid) { return run('visits', 'readwrite', function (s) { return s.delete(uuid); }); }
  function getMeta(k) { return run('meta', 'readonly', function (s) { return s.get(k); }); }
  function setMeta(k, v) { return run('meta', 'readwrite', function (s) { return s.put(v, k); }); }

  /* Change an item in one transaction, only if it is still in the state expected. */
  function update(uuid, state, change) {
    return run('visits', 'readwrite', function (s) {
      var r = s.get(uuid);
      r.onsuccess = function () {
        var item = r.result;
        if (item && item.state === state) { change(item); item.updated = Date.now(); s.put(item); }
      };
    });
  }

  /* The phone's user is now `user`: pages kept for anyone else are deleted. */
  function setUser(user) {
    return setMeta('user', user).then(function () { return caches.keys(); }).then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf('fw-pages-u') === 0 && k !== 'fw-pages-u' + user; })
        .map(function (k) { return caches.delete(k); }));
    });
  }

  /* Sign-out: this user's visits and every kept page leave the phone. */
  function clearUser(user) {
    return list(user).then(function (items) {
      return run('visits', 'readwrite', function (s) { items.forEach(function (i) { s.delete(i.uuid); }); });
    }).then(function () { return setMeta('user', null); }).then(function () { return caches.keys(); })
      .then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf('fw-pages-u') === 0; })
          .map(function (k) { return caches.delete(k); }));
      });
  }

  /* Sent items are kept a day so the member sees them confirmed, then forgotten. */
  function purge(user) {
    var old = Date.now() - 24 * 3600 * 1000;
    return list(user).then(function (items) {
      return Promise.all(items.filter(function (i) { return i.state === 'sent' && i.updated < old; })
        .map(function (i) { return remove(i.uuid); }));
    });
  }

  function note(items, why) {
    return Promise.all(items.map(function (i) { return update(i.uuid, 'waiting', function (it) { it.note = why; }); }));
  }

  function request(url, init) {
    var ctl = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = ctl && setTimeout(function () { ctl.abort(); }, TIMEOUT);
    init.credentials = 'same-origin';
    init.redirect = 'error';  // a redirect (to the login page, a captive portal...) is never an answer
    if (ctl) init.signal = ctl.signal;
    return fetch(url, init).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (body) { return {status: res.status, body: body}; });
    }).finally(function () { clearTimeout(timer); });
  }

  async function freshToken(user) {
    var r;
    try { r = await request(SESSION_URL, {headers: {Accept: 'application/json'}}); } catch (e) { return {error: 'offline'}; }
    if (r.status === 401) return {error: 'signed_out'};
    if (!r.body || !r.body.csrf) return {error: 'server'};
    if (r.body.user_id !== user) return {error: 'other_user'};
    return {token: r.body.csrf};
  }

  async function apply(results) {
    for (var i = 0; i < results.length; i++) {
      var r = results[i];
      await update(r.uuid, 'waiting', function (it) {
        it.state = CONFIRMED[r.status] ? 'sent' : 'attention';
        it.note = r.status;
        it.message = r.message || '';
        it.field = r.field || '';
      });
    }
  }

  /* Send this user's waiting visits, a batch at a time, until none is left or the server cannot be reached. */
  async function send(opts) {
    var user = opts.user || await getMeta('user');
    if (!user) return {error: 'no_user'};
    var token = opts.token || null, total = 0;
    for (;;) {
      var items = (await list(user)).filter(function (i) { return i.state === 'waiting'; }).slice(0, BATCH);
      if (!items.length) return {sent: total};
      var r = null, error = null;
      for (var attempt = 0; attempt < 2 && !r; attempt++) {
        error = null;
        if (!token) {
          var t = await freshToken(user);
          if (t.error) { error = t.error; break; }
          token = t.token;
        }
        try {
          r = await request(SYNC_URL, {method: 'POST', headers: {'Content-Type': 'application/json',
            Accept: 'application/json', 'X-CSRFToken': token}, body: JSON.stringify({user_id: user,
            interactive: opts.interactive || null, visits: items.map(function (i) { return i.visit; })})});
        } catch (e) { error = 'offline'; break; }
        var code = r.body && r.body.error;
        if (code === 'csrf') { token = null; r = null; error = 'signed_out'; }  // a stale token: fetch one, once
      }
      if (r && (r.status === 401 || (r.body && r.body.error === 'signed_out'))) error = 'signed_out';
      else if (r && r.body && r.body.error === 'other_user') error = 'other_user';
      else if (r && !(r.status === 200 && r.body && Array.isArray(r.body.results))) error = 'server';
      if (error) { await note(items, error); return {error: error, sent: total}; }
      await apply(r.body.results);
      total += r.body.results.length;
    }
  }

  function flush(opts) {
    opts = opts || {};
    var go = function () { return send(opts).catch(function (e) { return {error: 'offline', detail: String(e)}; }); };
    var locks = g.navigator && g.navigator.locks;
    return locks ? locks.request('fieldwork-send', go) : go();
  }

  g.FieldworkQueue = {list: list, all: all, get: get, put: put, remove: remove, getMeta: getMeta, setMeta: setMeta,
    setUser: setUser, clearUser: clearUser, purge: purge, flush: flush};
})(self);
