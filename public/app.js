// Small behaviour that HTML attributes cannot express. Everything here is an enhancement:
// every page works without it (links, forms and accesskeys do the work).
(function () {
  'use strict';

  function typing(el) {
    return el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
  }

  // Lists: ArrowUp/ArrowDown move between rows, Enter opens (the focused link does that itself).
  function rowLinks() {
    return Array.from(document.querySelectorAll('[data-list] a.org-link, .cards a.person-link, .documents-list a.doc-link, table.members a[data-open]'));
  }

  // The person card selected on the External contacts screen: the focused card's link.
  function selectedPerson() {
    var a = document.activeElement;
    var card = a && a.closest && a.closest('.person-card[data-person]');
    return card ? card.getAttribute('data-person') : null;
  }

  // WAI-ARIA tabs: ←/→ move to the neighbouring tab (and open it), Home/End to the first/last.
  var refocusTab = null;
  function tabKeys(e, active) {
    if (!active || active.getAttribute('role') !== 'tab') return false;
    var tabs = Array.from(active.closest('[role=tablist]').querySelectorAll('[role=tab]'));
    var i = tabs.indexOf(active);
    var to = { ArrowRight: (i + 1) % tabs.length, ArrowLeft: (i - 1 + tabs.length) % tabs.length, Home: 0, End: tabs.length - 1 }[e.key];
    if (to === undefined) return false;
    e.preventDefault();
    refocusTab = tabs[to].getAttribute('data-tab');
    tabs[to].focus();
    tabs[to].click();
    return true;
  }
  document.addEventListener('htmx:after:swap', function () {
    if (!refocusTab) return;
    var t = document.querySelector('[role=tab][data-tab="' + refocusTab + '"]');
    refocusTab = null;
    if (t) t.focus();
  });

  function toggleShortcuts(open) {
    var d = document.querySelector('[data-shortcuts]');
    if (!d) return false;
    d.open = open === undefined ? !d.open : open;
    if (d.open) d.querySelector('summary').focus();
    return true;
  }

  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var active = document.activeElement;
    if (tabKeys(e, active)) return;
    if (e.key === '?' && !typing(active)) {
      if (toggleShortcuts()) e.preventDefault();
      return;
    }
    if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && !typing(active)) {
      var links = rowLinks();
      if (!links.length) return;
      var i = links.indexOf(active);
      var next = e.key === 'ArrowDown' ? (i < 0 ? 0 : Math.min(i + 1, links.length - 1)) : (i < 0 ? links.length - 1 : Math.max(i - 1, 0));
      links[next].focus();
      e.preventDefault();
      return;
    }
    // Paging: PageDown/PageUp for next/previous page, Home/End for the first and last page.
    var pageKeys = { PageDown: 'next', PageUp: 'prev', Home: 'first', End: 'last' };
    if (pageKeys[e.key] && !typing(active)) {
      var a = document.querySelector('.pager a[data-page="' + pageKeys[e.key] + '"]');
      if (a) { a.click(); e.preventDefault(); }
      return;
    }
    // On a card's groups: "+" opens the group picker, "−" removes the focused membership.
    if ((e.key === '+' || e.key === '-' || e.key === '−') && !typing(active)) {
      var person = selectedPerson();
      if (e.key === '+') {
        var add = document.querySelector('[data-action=group-add]');
        if (add) { add.click(); e.preventDefault(); }
        // On the External contacts screen: the group picker of the selected person card.
        else if (person) { e.preventDefault(); window.location.href = '/persons/' + person + '/groups/add'; }
      } else {
        var row = active && active.closest && active.closest('[data-membership]');
        var rm = row && row.querySelector('[data-action=group-remove]');
        if (rm) {
          e.preventDefault();
          if (window.confirm(rm.getAttribute('data-confirm') || rm.getAttribute('aria-label'))) rm.click();
        } else if (person) {
          // The person's memberships, the first one focused: choose with ↑/↓, "−" again removes it.
          e.preventDefault();
          window.location.href = '/persons/' + person + '?tab=groups#memberships';
        }
      }
      return;
    }
    // Escape closes an open group picker and the list of keys.
    if (e.key === 'Escape') {
      var keys = document.querySelector('[data-shortcuts][open]');
      if (keys) { keys.open = false; return; }
      var slot = document.getElementById('picker-slot');
      if (slot && slot.firstElementChild) { slot.innerHTML = ''; var back = document.querySelector('[data-action=group-add]'); if (back) back.focus(); }
      return;
    }
    // Enter in a picker's search box searches now instead of submitting the whole form.
    if (e.key === 'Enter' && active && active.hasAttribute && active.hasAttribute('data-picker-find')) {
      e.preventDefault();
      active.dispatchEvent(new Event('search'));
      return;
    }
    // "/" jumps to the locator, as in many list screens.
    if (e.key === '/' && !typing(active)) {
      var loc = document.querySelector('[data-locator]');
      if (loc) { loc.focus(); loc.select(); e.preventDefault(); }
    }
  });

  // Double-click on a row opens the record (the organization or the person card).
  document.addEventListener('dblclick', function (e) {
    var link = e.target.closest && e.target.closest('[data-row]');
    if (!link) return;
    var target = link.querySelector('[data-open]');
    if (target) window.location.href = target.getAttribute('data-open');
  });

  // The Position slider shows its number as it moves.
  document.addEventListener('input', function (e) {
    if (e.target.name === 'influence' && e.target.type === 'range') {
      var out = e.target.parentNode.querySelector('[data-influence-output]');
      if (out) out.textContent = (e.target.value > 0 ? '+' : '') + e.target.value;
    }
  });

  // When the group picker opens, focus its first choice so the keyboard can go on.
  document.addEventListener('htmx:after:swap', function () {
    var picker = document.querySelector('#picker-slot [data-picker]');
    if (picker && !picker.contains(document.activeElement)) {
      var first = picker.querySelector('[data-action=pick-group], input[name=name]');
      if (first) first.focus();
    }
  });

  // After htmx swaps the contacts list, keep keyboard focus on the selected row.
  document.addEventListener('htmx:after:swap', function () {
    var sel = document.querySelector('[data-list] a.org-link[aria-current=true]');
    if (sel && document.activeElement === document.body) sel.focus({ preventScroll: true });
  });

  // Arriving at a card's groups from the main screen's "−": the first membership is focused.
  if (window.location.hash === '#memberships') {
    var m = document.querySelector('[data-membership] a');
    if (m) m.focus();
  }

  // Loading feedback: a request that is still running after 300 ms marks the page busy.
  var busyTimer = null;
  var running = 0;
  // No double submits: a form's submit buttons are disabled while its request runs.
  function submitButtons(form) {
    return form ? Array.from(form.querySelectorAll('button:not([type=button]), input[type=submit]')) : [];
  }
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (e.defaultPrevented || form.hasAttribute('hx-post') || form.hasAttribute('hx-get') || form.method === 'get') return;
    // After the browser has read the form (the clicked button's name and value go with it).
    setTimeout(function () { submitButtons(form).forEach(function (b) { b.disabled = true; b.setAttribute('data-busy', ''); }); }, 0);
  });
  // Back to a page from the history cache: its buttons work again.
  window.addEventListener('pageshow', function () {
    document.querySelectorAll('[data-busy]').forEach(function (b) { b.disabled = false; b.removeAttribute('data-busy'); });
  });
  document.addEventListener('htmx:before:request', function (e) {
    var form = e.target && e.target.closest ? e.target.closest('form') : null;
    if (form && form.method !== 'get') submitButtons(form).forEach(function (b) { b.disabled = true; b.setAttribute('data-busy', ''); });
  });
  document.addEventListener('htmx:finally:request', function (e) {
    var form = e.target && e.target.closest ? e.target.closest('form') : null;
    submitButtons(form).forEach(function (b) { if (b.hasAttribute('data-busy')) { b.disabled = false; b.removeAttribute('data-busy'); } });
  });
  document.addEventListener('htmx:before:request', function () {
    running++;
    if (!busyTimer) busyTimer = setTimeout(function () { document.documentElement.classList.add('busy'); }, 300);
  });
  document.addEventListener('htmx:finally:request', function () {
    running = Math.max(0, running - 1);
    if (running) return;
    clearTimeout(busyTimer);
    busyTimer = null;
    document.documentElement.classList.remove('busy');
  });
})();
