// Operator pages: follow Airflow's colour mode, post actions as JSON, refresh a card while its import runs.
"use strict";

const BASE = document.body.dataset.base;
const POLL_MS = 3000;

function followAirflowTheme() {
  let dark = window.matchMedia("(prefers-color-scheme: dark)").matches;
  try {  // inside Airflow's UI the page is a same-origin iframe: use the theme the user picked there
    const parentHtml = window.parent !== window ? window.parent.document.documentElement : null;
    if (parentHtml && (parentHtml.classList.contains("dark") || parentHtml.classList.contains("light"))) {
      dark = parentHtml.classList.contains("dark");
    }
  } catch (e) { /* not same-origin: keep the system preference */ }
  document.documentElement.dataset.theme = dark ? "dark" : "light";
}

async function postJson(path, body) {
  const response = await fetch(BASE + path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "Accept": "application/json" },
    body: JSON.stringify(body || {}),
  });
  let data = {};
  try { data = await response.json(); } catch (e) { /* empty or not JSON */ }
  const message = typeof data.detail === "string" ? data.detail
    : (data.message || (response.ok ? "Fatto." : `Errore ${response.status}.`));
  return { ok: response.ok, status: response.status, data, message };
}

function showNotice(element, message, ok) {
  element.textContent = message;  // text, never HTML
  element.className = "notice " + (ok ? "ok" : "error");
  element.hidden = false;
}

// -- account cards ------------------------------------------------------

const polling = new Set();

async function refreshCard(card) {
  const response = await fetch(card.dataset.cardUrl, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!response.ok) return false;
  card.querySelector(".card-body").innerHTML = await response.text();
  return card.querySelector("[data-active]").dataset.active === "1";
}

function pollCard(card, untilIdle) {
  if (polling.has(card)) return;
  polling.add(card);
  const tick = async () => {
    let active = true;
    try { active = await refreshCard(card); } catch (e) { /* network hiccup: try again */ }
    if (active || untilIdle-- > 0) {
      setTimeout(tick, POLL_MS);
    } else {
      polling.delete(card);
    }
  };
  setTimeout(tick, POLL_MS);
}

async function sincroOrdini(button) {
  const card = button.closest(".card");
  button.disabled = true;
  const result = await postJson(`/accounts/${encodeURIComponent(button.dataset.account)}/sync`);
  showNotice(card.querySelector(":scope > .notice"), result.message, result.ok);
  await refreshCard(card);
  pollCard(card, 3);  // the new run may take a moment to show as queued/running
}

// -- watermark dialog ---------------------------------------------------

const dialog = document.getElementById("watermark-dialog");
let editing = null;

function dialogStep(step) {
  dialog.querySelector('[data-step="edit"]').hidden = step !== "edit";
  dialog.querySelector('[data-step="confirm"]').hidden = step !== "confirm";
  dialog.querySelector('[data-action="preview"]').hidden = step !== "edit";
  dialog.querySelector('[data-action="confirm"]').hidden = step !== "confirm";
}

function dialogError(message) {
  const error = dialog.querySelector('[data-field="error"]');
  error.textContent = message || "";
  error.hidden = !message;
}

function openWatermarkDialog(button) {
  editing = { account: button.dataset.account, expected: button.dataset.current || null,
              card: button.closest(".card") };
  dialog.querySelector('[data-field="account"]').textContent = editing.account;
  dialog.querySelector('input[name="value_local"]').value = button.dataset.currentLocal || "";
  dialogError("");
  dialogStep("edit");
  dialog.showModal();
}

async function submitWatermark(confirm) {
  const value = dialog.querySelector('input[name="value_local"]').value;
  if (!value) { dialogError("Indica data e ora."); return; }
  const result = await postJson(`/accounts/${encodeURIComponent(editing.account)}/watermark`,
                                { value_local: value, expected: editing.expected, confirm });
  if (!result.ok) { dialogError(result.message); return; }
  dialogError("");
  if (!confirm) {
    dialog.querySelector('[data-field="explanation"]').textContent = result.data.message;
    dialogStep("confirm");
    return;
  }
  dialog.close();
  showNotice(editing.card.querySelector(":scope > .notice"), result.message, true);
  await refreshCard(editing.card);
}

// -- orders ---------------------------------------------------------------

async function retryOrder(button) {
  const account = button.dataset.account;
  const question = `Riprovare ora l'ordine ${button.dataset.order}?\n\nViene avviato il Sincro Ordini di ${account}, ` +
    "che ritenta tutti gli ordini in errore dell'account.";
  if (!window.confirm(question)) return;
  button.disabled = true;
  const result = await postJson("/orders/retry", { account, amazon_order_id: button.dataset.order });
  showNotice(document.getElementById("page-notice"), result.message, result.ok);
  if (!result.ok) button.disabled = false;
}

// -- wiring -------------------------------------------------------------------

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button || button.disabled) return;
  const action = button.dataset.action;
  if (action === "sync") sincroOrdini(button);
  else if (action === "edit-watermark") openWatermarkDialog(button);
  else if (action === "preview") submitWatermark(false);
  else if (action === "confirm") submitWatermark(true);
  else if (action === "cancel") dialog.close();
  else if (action === "retry") retryOrder(button);
});

followAirflowTheme();
document.querySelectorAll(".card").forEach((card) => {
  if (card.querySelector('[data-active="1"]')) pollCard(card, 0);
});
