// jeton console: the only script. Copy buttons and expiry quick choices;
// every page works without it except copying.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const target = document.getElementById(button.dataset.copy);
      try {
        await navigator.clipboard.writeText(target.textContent.trim());
        button.textContent = "Copied";
      } catch (e) {
        const range = document.createRange();
        range.selectNodeContents(target);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        button.textContent = "Press Ctrl+C";
      }
    });
  }
  for (const button of document.querySelectorAll("[data-days]")) {
    button.hidden = false;
    button.addEventListener("click", () => {
      const d = new Date(Date.now() + Number(button.dataset.days) * 86400000);
      const input = document.getElementById(button.dataset.target);
      input.value = d.toISOString().slice(0, 10);
      const date = document.getElementById(button.dataset.radio);
      if (date) date.checked = true;
    });
  }
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
});
