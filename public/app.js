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

  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var active = document.activeElement;
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
      if (e.key === '+') {
        var add = document.querySelector('[data-action=group-add]');
        if (add) { add.click(); e.preventDefault(); }
      } else {
        var row = active && active.closest && active.closest('[data-membership]');
        var rm = row && row.querySelector('[data-action=group-remove]');
        if (rm) { rm.click(); e.preventDefault(); }
      }
      return;
    }
    // Escape closes an open group picker.
    if (e.key === 'Escape') {
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
})();
