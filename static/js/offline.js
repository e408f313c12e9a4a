/* Fieldwork on the phone: installs the service worker, logs visits into the queue first (offline-queue.js) and
 * sends them when it can (on saving, on opening a page, when the connection returns, every 30 s), shows the queue
 * and the "offline" banner, clears the phone at sign-out. Messages come translated from the page
 * (#offline-status .offline-text); nothing here is shown in a fixed language.
 */
(function () {
  'use strict';
  var Q = window.FieldworkQueue;
  if (!Q || !window.indexedDB || !window.Promise) return;
  var status, T = {}, user = null, role = '', tz = 'Asia/Ho_Chi_Minh', loadedAt = Date.now();

  function $(sel, root) { return (root || document).querySelector(sel); }
  function t(key, vars) {
    var s = T[key] || '';
    Object.keys(vars || {}).forEach(function (k) { s = s.split('{' + k + '}').join(vars[k]); });
    return s;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function when(ms) {  // "14:05 24/11", where the households are
    var p = {};
    new Intl.DateTimeFormat('en-GB', {timeZone: tz, hour: '2-digit', minute: '2-digit', day: '2-digit',
      month: '2-digit', hourCycle: 'h23'}).formatToParts(new Date(ms)).forEach(function (x) { p[x.type] = x.value; });
    return p.hour + ':' + p.minute + ' ' + p.day + '/' + p.month;
  }
  function today() {  // YYYY-MM-DD where the households are, whatever the phone's zone
    return new Intl.DateTimeFormat('en-CA', {timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit'})
      .format(new Date());
  }
  function addDays(iso, n) {
    var d = new Date(iso + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }
  function uuid4() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)), h = [];
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    for (var i = 0; i < 16; i++) h.push((b[i] + 256).toString(16).slice(1));
    return h.slice(0, 4).join('') + '-' + h.slice(4, 6).join('') + '-' + h.slice(6, 8).join('') + '-' +
      h.slice(8, 10).join('') + '-' + h.slice(10).join('');
  }
  function token() {
    try { return JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']; } catch (e) { return null; }
  }

  /* --- the page: banner, queue, service worker ------------------------------------------------------------- */

  function init() {
    var s = $('#offline-status');
    if (!s || s.dataset.ready) return;
    status = s;
    status.dataset.ready = '1';
    T = JSON.parse($('.offline-text', status).textContent);
    user = Number(status.dataset.user) || null;
    role = status.dataset.role;
    tz = status.dataset.tz || tz;
    var notice = sessionStorage.getItem('fw-notice');
    if (notice) {
      sessionStorage.removeItem('fw-notice');
      var main = $('main');
      if (main) main.insertBefore(el('p', 'flash flash-info', notice), main.firstChild);
    }
    banner();
    var ready = user ? Q.getMeta('user').then(function (u) { return u === user ? null : Q.setUser(user); }) : Promise.resolve();
    ready.then(function () { return user ? Q.purge(user) : null; }).then(show).then(function () {
      if (user) send();
      refresh();
    });
    if (user && role === 'member' && navigator.storage && navigator.storage.persist) {
      navigator.storage.persisted().then(function (p) { if (!p) navigator.storage.persist(); });
    }
  }

  function banner() {
    var p = $('.offline-banner', status), cached = Number(status.dataset.cachedAt);
    var off = !!cached || navigator.onLine === false;
    p.hidden = !off;
    if (off) p.textContent = t('offline', {time: when(cached || loadedAt)});
  }

  function show() {
    return Q.getMeta('user').then(function (last) {
      var me = user || last;
      return Q.all().then(function (items) { draw(items, me); });
    });
  }

  function draw(items, me) {
    var box = $('.offline-queue', status), was = $('details', box), open = was && was.open;
    var mine = items.filter(function (i) { return i.user === me; });
    var others = items.length - mine.length;
    box.textContent = '';
    box.hidden = !mine.length && !others;
    if (!mine.length && !others) return;
    var count = {waiting: 0, sent: 0, attention: 0};
    mine.forEach(function (i) { count[i.state]++; });
    var d = el('details');
    d.open = open || count.attention > 0;
    var parts = ['waiting', 'sent', 'attention'].filter(function (k) { return count[k]; })
      .map(function (k) { return t(k, {n: count[k]}); });
    d.appendChild(el('summary', '', t('queue') + ': ' + parts.join(' · ')));
    var ul = el('ul', 'rows');
    mine.sort(function (a, b) { return b.created - a.created; }).forEach(function (i) { ul.appendChild(row(i)); });
    d.appendChild(ul);
    if (mine.length) box.appendChild(d);
    if (others) box.appendChild(el('p', 'muted', t('others', {n: others})));
  }

  function row(i) {
    var li = el('li', 'row queue-' + i.state);
    li.dataset.uuid = i.uuid;
    li.appendChild(el('strong', '', i.household + ' · ' + i.outcome));
    li.appendChild(el('span', 'muted', when(i.created) + ' · ' + t('state_' + i.state)));
    var why = i.state === 'waiting' ? T['note_' + i.note] : i.message;
    if (why) li.appendChild(el('span', i.state === 'sent' ? 'muted' : 'note', why));
    if (i.state === 'waiting' && i.note === 'signed_out') {
      var a = el('a', '', t('sign_in'));
      a.href = '/dang-nhap';
      li.appendChild(a);
    }
    if (i.state === 'attention') {
      var b = el('button', 'link', t('dismiss'));
      b.type = 'button';
      b.addEventListener('click', function () { Q.remove(i.uuid).then(show); });
      li.appendChild(b);
    }
    return li;
  }

  function send(opts) {
    if (!user) return Promise.resolve({});
    opts = opts || {};
    opts.user = user;
    opts.token = token();
    return Q.flush(opts).then(function (r) { show(); return r; });
  }

  /* On the member's full worklist, ask the service worker to keep the worklist and each household's page. */
  function refresh() {
    var sw = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (!sw || role !== 'member' || location.pathname !== '/' || location.search || status.dataset.cachedAt) return;
    var urls = ['/'];
    document.querySelectorAll('ul.work a.row[href]').forEach(function (a) { urls.push(a.getAttribute('href')); });
    sw.postMessage({type: 'refresh', user: user, urls: urls});
  }

  /* --- logging a visit: the form comes from the page's template, the visit goes to the queue first ----------- */

  function openForm(link, tpl) {
    var panel = document.getElementById('visit-panel');
    panel.textContent = '';
    panel.appendChild(tpl.content.cloneNode(true));
    var form = $('form', panel), outcome = link.dataset.outcome, days = JSON.parse(tpl.dataset.revisitDays || '{}');
    form.elements.outcome.value = outcome;
    form.elements.uuid.value = uuid4();
    $('.chosen strong', form).textContent = link.textContent.trim();
    form.querySelectorAll('[data-outcomes]').forEach(function (part) {
      part.hidden = part.dataset.outcomes.split(' ').indexOf(outcome) < 0;
    });
    if (form.elements.next_date) form.elements.next_date.value = days[outcome] ? addDays(today(), days[outcome]) : '';
  }

  function fail(form, name, message) {
    var at = name && form.elements[name];
    var field = at && (at.closest ? at.closest('[data-outcomes], .field') : null);
    var p = el('p', 'error', message);
    p.setAttribute('role', 'alert');
    (field || form).insertBefore(p, field ? null : form.firstChild);
  }

  function visible(form, name) {
    var f = form.elements[name], part = f && (f.closest ? f.closest('[data-outcomes]') : null);
    return f && !(part && part.hidden);
  }

  function save(form) {
    var f = form.elements, outcome = f.outcome.value;
    form.querySelectorAll('.error').forEach(function (e) { e.remove(); });
    var reason = visible(form, 'reason') ? f.reason.value : '';
    var next = visible(form, 'next_date') ? f.next_date.value : '';
    if (outcome === 'refused' && !reason) return fail(form, 'reason', t('reason_required'));
    if (next && next < today()) return fail(form, 'next_date', t('past_date'));
    var people = visible(form, 'person_ids') ?
      [].slice.call(form.querySelectorAll('input[name=person_ids]:checked')).map(function (c) { return Number(c.value); }) : [];
    var visit = {uuid: f.uuid.value, household_id: Number(form.dataset.household), visited_at: new Date().toISOString(),
      outcome: outcome, reason: reason || null, scheme: (visible(form, 'scheme') && f.scheme.value) || null,
      channel: f.channel.value, met_person: f.met_person.value, notes: f.notes.value, next_date: next || null,
      person_ids: people};
    var item = {uuid: visit.uuid, user: user, visit: visit, household: form.dataset.householdName,
      outcome: $('.chosen strong', form).textContent, state: 'waiting', note: 'new', created: Date.now()};
    var button = $('button[type=submit]', form);
    button.disabled = true;
    button.textContent = t('sending');
    Q.put(item).then(function () {
      if (navigator.serviceWorker) {
        navigator.serviceWorker.ready.then(function (r) { return r.sync && r.sync.register('fieldwork-visits'); })
          .catch(function () {});
      }
      if (navigator.onLine === false) return null;
      return Promise.race([send({interactive: item.uuid}), new Promise(function (ok) { setTimeout(ok, 12000); })]);
    }).then(function () { return Q.get(item.uuid); }).then(function (stored) {
      if (stored && stored.state === 'attention' && stored.note === 'invalid') {
        return Q.remove(item.uuid).then(function () {
          button.disabled = false;
          fail(form, stored.field, stored.message);
        });
      }
      if (!stored || stored.state !== 'sent') {
        sessionStorage.setItem('fw-notice', t('saved_local', {outcome: item.outcome, name: item.household}));
      }
      location.assign('/');
    });
  }

  function logout(form) {
    Q.list(user).then(function (items) {
      var unsent = items.filter(function (i) { return i.state !== 'sent'; }).length;
      if (unsent && !window.confirm(t('logout_confirm', {n: unsent}))) return;
      return Q.clearUser(user).then(function () { form.submit(); });
    });
  }

  /* --- wiring ------------------------------------------------------------------------------------------------ */

  document.addEventListener('click', function (e) {
    var link = e.target.closest && e.target.closest('a[data-outcome]');
    var tpl = link && document.getElementById('visit-form-template');
    if (!tpl) return;
    e.preventDefault();
    e.stopPropagation();  // in the capture phase: htmx never sees the click, nothing goes to the network
    openForm(link, tpl);
  }, true);

  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (form.matches('form[data-offline-form]')) {
      e.preventDefault();
      e.stopPropagation();
      save(form);
    } else if (form.matches('form.logout') && user) {
      e.preventDefault();
      e.stopPropagation();
      logout(form);
    }
  }, true);

  if (navigator.serviceWorker && window.isSecureContext) {
    var sw = $('script[data-sw]');
    if (sw) navigator.serviceWorker.register(sw.dataset.sw).catch(function () {});
    navigator.serviceWorker.addEventListener('controllerchange', function () { if (status) refresh(); });
    navigator.serviceWorker.addEventListener('message', function (e) {
      if (e.data && e.data.type === 'refreshed' && status) {
        status.dataset.saved = e.data.count;
        var p = $('.offline-saved', status);
        if (p) { p.textContent = t('saved_pages', {n: e.data.count}); p.hidden = false; }
      }
    });
  }
  window.addEventListener('online', function () { if (status) { banner(); send(); } });
  window.addEventListener('offline', function () { if (status) banner(); });
  document.addEventListener('visibilitychange', function () { if (!document.hidden && status) send(); });
  setInterval(function () { if (status && navigator.onLine !== false) send(); }, 30000);
  document.addEventListener('htmx:afterSettle', init);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
