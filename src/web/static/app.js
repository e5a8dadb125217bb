// The pages' one script (SPEC §6.5): the inactivity dialog, the network banner and live hints.
// Every form works without it; the server keeps the session's deadline and ends it either way.
(() => {
  'use strict';
  const body = document.body;
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

  // --- Network banner: shown while the browser is offline or a request fails for lack of network.
  const banner = document.getElementById('natverk');
  const showBanner = (offline) => { if (banner) banner.hidden = !offline; };
  window.addEventListener('offline', () => showBanner(true));
  window.addEventListener('online', () => showBanner(false));
  if (!navigator.onLine) showBanner(true);
  async function call(url, options = {}) {
    try {
      const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store', ...options });
      showBanner(false);
      return response;
    } catch (err) {
      showBanner(true);
      throw err;
    }
  }
  // A form sent without a network would end on the browser's own error page.
  document.addEventListener('submit', (event) => {
    if (!navigator.onLine) {
      event.preventDefault();
      showBanner(true);
    }
  });

  // --- Password rules, ticked as the person types (the rules come from the page, not from here).
  for (const list of document.querySelectorAll('[data-password-rules]')) {
    const form = list.closest('form');
    const password = form?.querySelector('input[name="newPassword"]');
    const userName = form?.querySelector('input[name="userName"]');
    if (!password) continue;
    const min = Number(list.dataset.min);
    const max = Number(list.dataset.max);
    const items = [...list.querySelectorAll('li')];
    for (const item of items) {
      const state = document.createElement('span');
      state.className = 'visually-hidden rule-state';
      item.append(state);
    }
    const check = () => {
      const value = password.value;
      const name = (userName?.value ?? '').toLocaleLowerCase('sv');
      for (const item of items) {
        let met;
        switch (item.dataset.rule) {
          case 'min-length': met = [...value].length >= min; break;
          case 'max-length': met = [...value].length <= max; break;
          case 'not-username': met = value !== '' && (name === '' || !value.toLocaleLowerCase('sv').includes(name)); break;
          default: met = new RegExp(item.dataset.pattern, 'u').test(value);
        }
        item.classList.toggle('met', met);
        item.querySelector('.rule-state').textContent = met ? ' (uppfyllt)' : ' (inte uppfyllt)';
      }
    };
    password.addEventListener('input', check);
    userName?.addEventListener('input', check);
    check();
  }

  // --- The warning when no service is ticked (SPEC §6.5, "Lägg till användare").
  for (const fieldset of document.querySelectorAll('[data-services]')) {
    const warning = fieldset.closest('form')?.querySelector('#ingen-tjanst');
    if (!warning) continue;
    const update = () => { warning.hidden = fieldset.querySelector('input[type="checkbox"]:checked') !== null; };
    fieldset.addEventListener('change', update);
    update();
  }

  // --- Inactivity: the server says when the session ends; every tab asks it, so all agree.
  if (body.dataset.signedIn !== 'true') return;
  const dialog = document.getElementById('inaktiv');
  const countdown = document.getElementById('nedrakning');
  const stay = document.getElementById('stanna');
  const warningSeconds = Number(body.dataset.warningSeconds) || 120;
  const channel = 'BroadcastChannel' in window ? new BroadcastChannel('idm-session') : null;
  let deadline = Date.now() + 24 * 3600 * 1000;
  let lastAsked = 0;
  let asking = false;
  let returnFocus = null;

  let leaving = false;
  const leave = (reason) => {
    if (leaving) return;
    leaving = true;
    window.location.assign(`/utloggad?orsak=${reason}`);
  };

  function phrase(seconds) {
    if (seconds >= 90) return `${Math.round(seconds / 60)} minuter`;
    if (seconds >= 60) return '1 minut';
    const rounded = Math.max(5, Math.ceil(seconds / 5) * 5);
    return `${rounded} sekunder`;
  }

  async function ask() {
    if (asking || leaving) return;
    asking = true;
    lastAsked = Date.now();
    try {
      const response = await call('/session');
      const state = await response.json();
      if (!state.active) return leave(Date.now() >= deadline - 1000 ? 'inaktiv' : 'avslutad');
      deadline = Date.now() + state.remainingSeconds * 1000;
    } catch {
      // No network: the banner says so; the deadline stands and is asked again shortly.
    } finally {
      asking = false;
    }
  }

  function openDialog() {
    if (dialog.open) return;
    returnFocus = document.activeElement;
    dialog.showModal();
    stay.focus();
  }

  function closeDialog() {
    if (!dialog.open) return;
    dialog.close();
    if (returnFocus && typeof returnFocus.focus === 'function') returnFocus.focus();
    returnFocus = null;
  }

  async function keepAlive() {
    try {
      await call('/session/stanna', { method: 'POST', headers: { 'X-CSRF-Token': csrf } });
      channel?.postMessage('active');
      await ask();
      tick();
    } catch {
      // The banner shows; the dialog stays until the network is back or the session ends.
    }
  }

  function tick() {
    const left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= warningSeconds) {
      countdown.textContent = phrase(Math.max(left, 0));
      openDialog();
    } else {
      closeDialog();
    }
    // Near or in the warning, ask often, so a keep-alive in another tab closes this dialog too.
    const interval = left <= warningSeconds + 5 ? 2000 : 15000;
    if (left <= 0 || Date.now() - lastAsked >= interval) ask();
  }

  stay.addEventListener('click', keepAlive);
  // Escape dismisses the dialog: the person is here, which is what "Stanna kvar" says.
  dialog.addEventListener('cancel', (event) => { event.preventDefault(); keepAlive(); });
  channel?.addEventListener('message', (event) => {
    if (event.data === 'logout') leave('utloggad');
    else ask().then(tick);
  });
  for (const form of document.querySelectorAll('form[action="/logga-ut"]')) {
    form.addEventListener('submit', () => channel?.postMessage('logout'));
  }
  ask().then(tick);
  setInterval(tick, 1000);
})();
