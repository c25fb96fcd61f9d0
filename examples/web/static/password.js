// Policy violations as the person types: every `input[data-policy-check]` posts its value
// (a moment after the last key) to /password/check, with the page's CSRF token in a
// header, and lists the answer's lines in the element the attribute names. The answer
// replaces the list only if no newer one was asked for. The server checks the form again
// in full on submit; this is only earlier advice.
'use strict';

(() => {
  for (const input of document.querySelectorAll('input[data-policy-check]')) {
    const list = document.getElementById(input.dataset.policyCheck);
    const form = input.form;
    if (!list || !form || !form.elements.csrf) continue;
    let timer;
    let asked = 0;
    const show = (lines) => {
      list.replaceChildren(...lines.map((text) => {
        const item = document.createElement('li');
        item.textContent = text;
        return item;
      }));
      input.setAttribute('aria-invalid', lines.length ? 'true' : 'false');
    };
    input.addEventListener('input', () => {
      clearTimeout(timer);
      if (input.value === '') {
        asked += 1;
        show([]);
        input.removeAttribute('aria-invalid');
        return;
      }
      timer = setTimeout(async () => {
        const mine = ++asked;
        const field = (name) => (form.elements[name] && form.elements[name].value) || '';
        const body = new URLSearchParams({
          password: input.value,
          username: field('username'),
          email: field('email'),
        });
        try {
          const answer = await fetch('/password/check', {
            method: 'POST',
            headers: { 'x-csrf-token': form.elements.csrf.value },
            body,
            credentials: 'same-origin',
          });
          if (!answer.ok || mine !== asked) return;
          show((await answer.text()).split('\n').filter((line) => line !== ''));
        } catch {
          // Offline or refused: the submit still checks everything.
        }
      }, 300);
    });
  }
})();
