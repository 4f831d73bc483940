// The merchant's settings page. It calls only the public configuration API, with the merchant's token, which the
// host app hands over in sessionStorage or once in the URL fragment (#token=…); see README "Settings page".
import { STRINGS } from "./strings.js";

const TOKEN_KEY = "dinero-bookkeeping.token";
const LANGUAGE_KEY = "dinero-bookkeeping.language";
const ORDERS_PAGE_SIZE = 20;
const RETRYABLE = new Set(["failed", "skipped"]);
// The API answers on the page's own origin and base path (the page is <base>/app).
const API_BASE = new URL(".", window.location.href);
// The API names templates by label in `incomplete_templates`; the page shows them in the merchant's language.
const KIND_OF_LABEL = {
  Invoice: "invoice",
  "Product (Domestic)": "product_domestic",
  "Product (EU)": "product_eu",
  "Product (Outside EU)": "product_outside_eu",
  "Shipping (Domestic)": "shipping_domestic",
  "Shipping (EU)": "shipping_eu",
  "Shipping (Outside EU)": "shipping_outside_eu",
};

const state = {
  language: STRINGS[localStorage.getItem(LANGUAGE_KEY)] ? localStorage.getItem(LANGUAGE_KEY) : "da",
  token: takeToken(),
  expired: false, // the API refused the token: the host app must open the page again
  loaded: false,
  notice: null, // {kind, text: () => string}, kept across language switches
  integrations: [],
  selectedId: null,
  detail: null, // the selected integration's templates, choices, links and orders
};

// --- token, language and texts ------------------------------------------------------------------------------

function takeToken() {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const handed = fragment.get("token");
  if (handed) {
    sessionStorage.setItem(TOKEN_KEY, handed);
    // Out of the address bar and the history at once: the token must not be bookmarked, shared or shown.
    history.replaceState(history.state, "", window.location.pathname + window.location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function t(key, params = {}) {
  const text = STRINGS[state.language][key] ?? STRINGS.da[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

function kindName(kind) {
  return t(`kind_${kind}`);
}

function locale() {
  return state.language === "da" ? "da-DK" : "en-GB";
}

// --- the API ------------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body && typeof body.message === "string" ? body.message : `HTTP ${status}`);
    this.status = status; // 0: no answer at all
    this.body = body;
  }
}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${state.token}`, Accept: "application/json" };
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(new URL(path, API_BASE), init);
  } catch {
    throw new ApiError(0, null);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    state.expired = true;
    render();
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function integrationPath(id, rest = "") {
  return `integrations/${encodeURIComponent(id)}${rest}`;
}

// What went wrong, in the merchant's words where the page knows them, else the API's own message.
function describe(error) {
  if (!(error instanceof ApiError)) throw error;
  if (error.status === 0) return t("networkError");
  if (error.status === 401) return t("sessionExpired");
  if (error.status === 503) return t("unavailable");
  if (error.body && typeof error.body.message === "string") return error.body.message;
  return t("unexpectedError", { status: error.status });
}

// The fields an API error names: request validation details (loc), or a domain message "field: text".
function fieldErrors(error) {
  const body = error instanceof ApiError ? error.body : null;
  if (body && Array.isArray(body.detail)) {
    return body.detail.map((item) => ({
      field: String((item.loc ?? []).at(-1) ?? ""),
      message: STRINGS[state.language][`invalid_${item.type}`] ? t(`invalid_${item.type}`) : t("invalid_other"),
    }));
  }
  const named = body && typeof body.message === "string" ? /^([a-z_]+): (.+)$/s.exec(body.message) : null;
  return named ? [{ field: named[1], message: named[2] }] : [];
}

// --- DOM helpers --------------------------------------------------------------------------------------------

function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  let value;
  for (const [name, prop] of Object.entries(props)) {
    if (prop === undefined || prop === null || prop === false) continue;
    if (name === "value") value = prop;
    else element.setAttribute(name === "className" ? "class" : name, prop === true ? "" : String(prop));
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) element.append(child);
  }
  if (value !== undefined) element.value = value; // after the options exist, for a select
  return element;
}

// Re-renders without losing the keyboard user's place: focus goes back to the element with the same id.
function keepingFocus(change) {
  const focusedId = document.activeElement && document.activeElement.id;
  change();
  if (focusedId && document.activeElement === document.body) document.getElementById(focusedId)?.focus();
}

function replace(id, build) {
  const current = document.getElementById(id);
  if (current) keepingFocus(() => current.replaceWith(build()));
}

function status(id) {
  return h("p", { id, className: "status", role: "status", "aria-live": "polite" });
}

function setStatus(id, text, kind = "info") {
  const element = document.getElementById(id);
  if (!element) return;
  element.textContent = text;
  element.dataset.kind = kind;
}

function badge(text, kind) {
  return h("span", { className: `badge badge-${kind}` }, text);
}

// Runs an action with its button disabled, so a double click does not send it twice.
async function busy(button, action) {
  if (button) button.disabled = true;
  try {
    await action();
  } finally {
    if (button && button.isConnected) button.disabled = false;
  }
}

function formatDate(iso) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "short", timeStyle: "short" }).format(new Date(iso));
}

// Amounts arrive as decimal strings to the øre ("527.90"): formatted as text, never through a float.
function formatAmount(amount, currency) {
  if (amount === null || amount === undefined) return "–";
  const [whole, fraction = ""] = String(amount).split(".");
  const sign = whole.startsWith("-") ? "-" : "";
  const digits = whole.replace("-", "");
  const [group, decimal] = state.language === "da" ? [".", ","] : [",", "."];
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  return `${sign}${grouped}${decimal}${fraction.padEnd(2, "0")} ${currency ?? ""}`.trim();
}

// --- notices and the OAuth outcome --------------------------------------------------------------------------

function notify(kind, text) {
  state.notice = { kind, text };
  renderNotice();
}

function renderNotice() {
  const element = document.getElementById("notice");
  element.textContent = state.notice ? state.notice.text() : "";
  element.dataset.kind = state.notice ? state.notice.kind : "";
}

function connectedText(count) {
  const number = Number(count);
  if (Number.isInteger(number) && number !== 1) return t("outcomeConnectedMany", { count: number });
  return t("outcomeConnectedOne");
}

function reasonText(reason) {
  const key = `reason_${reason}`;
  return STRINGS.da[key] ? t(key) : t("reason_other", { code: reason ?? "?" });
}

// Visma Connect sent the browser back to APP_URL (this page) with the outcome in the query.
async function takeOAuthOutcome() {
  const query = new URLSearchParams(window.location.search);
  const outcome = query.get("dinero");
  if (!outcome) return;
  // Used once: a reload must not send the one-time handle again, and the address bar stays clean.
  history.replaceState(history.state, "", window.location.pathname);
  if (outcome === "complete" && query.get("handle")) {
    notify("info", () => t("completing"));
    try {
      const result = await api("POST", "oauth/complete", { handle: query.get("handle") });
      notify("success", () => connectedText(result.organizations));
    } catch (error) {
      notify("error", () => (error.status === 404 ? t("outcomeHandleGone") : describe(error)));
    }
  } else if (outcome === "connected") {
    // A callback that connected by itself (before the completion step existed).
    notify("success", () => connectedText(query.get("organizations")));
  } else if (outcome === "denied") {
    notify("error", () => t("outcomeDenied"));
  } else {
    notify("error", () => t("outcomeError", { reason: reasonText(query.get("reason")) }));
  }
}

// --- 1. connect Dinero --------------------------------------------------------------------------------------

function isConnected() {
  return state.integrations.some((integration) => integration.connected);
}

function connectionSection() {
  const connected = isConnected();
  const button = h(
    "button",
    { type: "button", id: "connect-button", className: connected ? "secondary" : "primary" },
    connected ? t("reconnectButton") : t("connectButton"),
  );
  button.addEventListener("click", () => busy(button, connect));
  return h(
    "section",
    { id: "connection", "aria-labelledby": "connection-title", className: "card" },
    h("h2", { id: "connection-title" }, t("connectTitle")),
    h("p", {}, t("connectIntro")),
    h("p", {}, connected ? badge(t("connected"), "ok") : badge(t("notConnected"), "off")),
    connected ? h("p", { className: "hint" }, t("reconnectHint")) : null,
    h("div", { className: "actions" }, button),
    status("connection-status"),
  );
}

async function connect() {
  try {
    const started = await api("POST", "oauth/connect");
    setStatus("connection-status", t("redirecting"));
    window.location.assign(started.authorize_url);
  } catch (error) {
    setStatus("connection-status", describe(error), "error");
  }
}

// --- 2. integrations and activation -------------------------------------------------------------------------

function integrationsSection() {
  const list = state.integrations.length
    ? h("ul", { className: "integrations" }, state.integrations.map(integrationCard))
    : h("p", { className: "empty" }, t("noIntegrations"));
  return h(
    "section",
    { id: "integrations", "aria-labelledby": "integrations-title", className: "card" },
    h("h2", { id: "integrations-title" }, t("integrationsTitle")),
    h("p", {}, t("integrationsIntro")),
    list,
  );
}

function integrationCard(integration) {
  const id = integration.integration_id;
  const name = integration.organization_name;
  const reasonId = `reason-${id}`;
  const statusId = `integration-status-${id}`;
  let reason = null;
  if (!integration.is_pro) reason = t("notProReason");
  else if (!integration.connected && !integration.active) reason = t("needsConnection");
  const actions = [];
  if (!integration.active) {
    const activateButton = h(
      "button",
      {
        type: "button",
        id: `activate-${id}`,
        className: "primary",
        disabled: !integration.is_pro || !integration.connected,
        "aria-label": t("activateNamed", { name }),
        "aria-describedby": reason ? reasonId : null,
      },
      t("activate"),
    );
    activateButton.addEventListener("click", () => busy(activateButton, () => activate(integration, statusId)));
    actions.push(activateButton);
  } else {
    const openButton = h(
      "button",
      { type: "button", id: `open-${id}`, className: "secondary", "aria-label": t("openNamed", { name }) },
      t("open"),
    );
    openButton.addEventListener("click", () =>
      busy(openButton, () => openIntegration(id, true).catch((error) => setStatus(statusId, describe(error), "error"))),
    );
    const deactivateButton = h(
      "button",
      { type: "button", id: `deactivate-${id}`, className: "quiet", "aria-label": t("deactivateNamed", { name }) },
      t("deactivate"),
    );
    deactivateButton.addEventListener("click", () => busy(deactivateButton, () => deactivate(integration, statusId)));
    actions.push(openButton, deactivateButton);
  }
  const incomplete = integration.active && integration.incomplete_templates.length
    ? h(
        "p",
        { className: "incomplete" },
        t("incomplete", {
          list: integration.incomplete_templates
            .map((label) => (KIND_OF_LABEL[label] ? kindName(KIND_OF_LABEL[label]) : label))
            .join(", "),
        }),
      )
    : null;
  return h(
    "li",
    {
      className: `integration${integration.integration_id === state.selectedId ? " selected" : ""}`,
      "data-integration-id": id,
      "aria-labelledby": `name-${id}`,
    },
    h("h3", { id: `name-${id}` }, name),
    h("p", { className: "muted" }, t("organizationNumber", { id: integration.organization_id })),
    h(
      "p",
      { className: "badges" },
      integration.is_pro ? badge(t("pro"), "ok") : badge(t("notPro"), "warn"),
      integration.connected ? badge(t("connected"), "ok") : badge(t("notConnected"), "off"),
      integration.active ? badge(t("active"), "ok") : badge(t("inactive"), "off"),
    ),
    reason ? h("p", { id: reasonId, className: "reason" }, reason) : null,
    incomplete,
    h("div", { className: "actions" }, actions),
    status(statusId),
  );
}

async function activate(integration, statusId) {
  try {
    const activated = await api("POST", integrationPath(integration.integration_id, "/activate"));
    updateIntegration(activated);
    await openIntegration(activated.integration_id, true);
    notify("success", () => t("activated", { name: activated.organization_name }));
  } catch (error) {
    setStatus(statusId, describe(error), "error");
  }
}

async function deactivate(integration, statusId) {
  try {
    const deactivated = await api("POST", integrationPath(integration.integration_id, "/deactivate"));
    updateIntegration(deactivated);
    if (state.selectedId === deactivated.integration_id) {
      state.selectedId = null;
      state.detail = null;
      replace("detail", detailSection);
    }
    notify("info", () => t("deactivated", { name: deactivated.organization_name }));
  } catch (error) {
    setStatus(statusId, describe(error), "error");
  }
}

function updateIntegration(updated) {
  state.integrations = state.integrations.map((integration) =>
    integration.integration_id === updated.integration_id ? updated : integration,
  );
  replace("integrations", integrationsSection);
}

async function refreshIntegration(id) {
  updateIntegration(await api("GET", integrationPath(id)));
}

// --- the selected integration: templates, book automatically, webshops, orders ------------------------------

function selected() {
  return state.integrations.find((integration) => integration.integration_id === state.selectedId) ?? null;
}

async function openIntegration(id, moveFocus) {
  const [templates, links, firstPage] = await Promise.all([
    api("GET", integrationPath(id, "/templates")),
    api("GET", integrationPath(id, "/links")),
    fetchOrders(id, null),
  ]);
  let choices = null;
  let choicesError = null;
  try {
    const [accounts, layouts, terms] = await Promise.all([
      api("GET", integrationPath(id, "/choices/accounts")),
      api("GET", integrationPath(id, "/choices/layouts")),
      api("GET", integrationPath(id, "/choices/payment-conditions")),
    ]);
    choices = { accounts, layouts, terms };
  } catch (error) {
    choicesError = describe(error);
  }
  state.selectedId = id;
  state.detail = {
    templates: Object.fromEntries(templates.map((template) => [template.kind, template])),
    kinds: templates.map((template) => template.kind),
    warnings: {},
    choices,
    choicesError,
    links,
    orders: firstPage.orders,
    nextCursor: firstPage.next,
  };
  replace("integrations", integrationsSection);
  replace("detail", detailSection);
  if (moveFocus) document.getElementById("detail-title")?.focus();
}

function detailSection() {
  const integration = selected();
  if (!integration || !integration.active || !state.detail) return h("div", { id: "detail", hidden: true });
  return h(
    "div",
    { id: "detail", className: "detail" },
    h(
      "h2",
      { id: "detail-title", className: "detail-title", tabindex: "-1" },
      t("detailTitle", { name: integration.organization_name }),
    ),
    templatesSection(),
    bookAutomaticallySection(integration),
    linksSection(),
    ordersSection(),
  );
}

// --- 3. templates -------------------------------------------------------------------------------------------

function templatesSection() {
  const { choices, choicesError, kinds } = state.detail;
  return h(
    "section",
    { id: "templates", "aria-labelledby": "templates-title", className: "card" },
    h("h3", { id: "templates-title" }, t("templatesTitle")),
    h("p", {}, t("templatesIntro")),
    choicesError
      ? h("p", { className: "status", "data-kind": "error" }, t("choicesUnavailable", { message: choicesError }))
      : null,
    choices && kinds.includes("invoice") ? templateForm("invoice") : null,
    // Products and shipping side by side, one row per region.
    choices
      ? h("div", { className: "accounts" }, kinds.filter((kind) => kind !== "invoice").map(templateForm))
      : null,
  );
}

function templateForm(kind) {
  const template = state.detail.templates[kind];
  const fields = kind === "invoice" ? invoiceFields(template) : [accountField(template)];
  const warnings = state.detail.warnings[kind] ?? [];
  const form = h(
    "form",
    { id: `template-${kind}`, className: "template", novalidate: true, "data-template": kind },
    h(
      "fieldset",
      {},
      h(
        "legend",
        {},
        kindName(kind),
        template.missing.length ? [" ", badge(t("missing"), "warn")] : null,
      ),
      fields,
      warnings.length
        ? h("ul", { className: "warnings" }, warnings.map((text) => h("li", {}, t("warning", { text }))))
        : null,
      h(
        "div",
        { className: "actions" },
        h("button", { type: "submit", id: `save-${kind}`, className: "secondary" }, t("save")),
      ),
      status(`template-status-${kind}`),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form.querySelector("button[type=submit]"), () => saveTemplate(kind, form));
  });
  return form;
}

function field(id, label, control, help) {
  control.setAttribute("aria-describedby", [help ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(" "));
  return h(
    "div",
    { className: "field" },
    h("label", { for: id }, label),
    control,
    help ? h("p", { id: `${id}-help`, className: "hint" }, help) : null,
    h("p", { id: `${id}-error`, className: "field-error", hidden: true }),
  );
}

function accountField(template) {
  const id = `${template.kind}-account`;
  const options = state.detail.choices.accounts.map((account) =>
    h(
      "option",
      { value: String(account.number) },
      t("accountOption", { number: account.number, name: account.name, vat: account.vat_code ?? t("noVat") }),
    ),
  );
  const select = h(
    "select",
    { id, name: "account_number", value: template.account_number === null ? "" : String(template.account_number) },
    h("option", { value: "" }, t("choose")),
    options,
  );
  return field(id, t("account"), select);
}

function invoiceFields(template) {
  const { layouts, terms } = state.detail.choices;
  const layout = h(
    "select",
    { id: "invoice-layout", name: "layout_id", value: template.layout_id ?? "" },
    h("option", { value: "" }, t("choose")),
    layouts.map((choice) =>
      h("option", { value: choice.id }, choice.is_default ? t("defaultLayout", { name: choice.name }) : choice.name),
    ),
  );
  const term = h(
    "select",
    { id: "invoice-terms", name: "payment_condition_type", value: template.payment_condition_type ?? "" },
    h("option", { value: "" }, t("choose")),
    terms.map((choice) => h("option", { value: choice.type }, t(`term_${choice.type}`))),
  );
  const days = h("input", {
    id: "invoice-days",
    name: "payment_condition_days",
    type: "number",
    inputmode: "numeric",
    min: "0",
    max: "365",
    value: template.payment_condition_days === null ? "" : String(template.payment_condition_days),
  });
  const takesDays = () => terms.find((choice) => choice.type === term.value)?.takes_days ?? false;
  const syncDays = () => {
    days.disabled = !takesDays();
    if (days.disabled) days.value = "";
  };
  term.addEventListener("change", syncDays);
  syncDays();
  return [
    field("invoice-layout", t("layout"), layout),
    field("invoice-terms", t("paymentTerms"), term),
    field("invoice-days", t("paymentDays"), days),
  ];
}

function templateBody(kind, form) {
  const value = (name) => form.elements[name].value.trim();
  if (kind !== "invoice") {
    return { account_number: value("account_number") ? Number(value("account_number")) : null };
  }
  const days = value("payment_condition_days");
  return {
    layout_id: value("layout_id") || null,
    payment_condition_type: value("payment_condition_type") || null,
    // Sent as typed: the API decides what is acceptable and says so at the field.
    payment_condition_days: form.elements.payment_condition_days.disabled || days === "" ? null : Number(days),
  };
}

async function saveTemplate(kind, form) {
  const statusId = `template-status-${kind}`;
  clearFieldErrors(form);
  setStatus(statusId, t("working"));
  try {
    const saved = await api("PUT", integrationPath(state.selectedId, `/templates/${kind}`), templateBody(kind, form));
    state.detail.templates[kind] = saved;
    state.detail.warnings[kind] = saved.warnings;
    replace(`template-${kind}`, () => templateForm(kind));
    setStatus(statusId, t("saved", { kind: kindName(kind) }), "success");
    await refreshIntegration(state.selectedId);
  } catch (error) {
    showFieldErrors(form, error, statusId);
  }
}

function clearFieldErrors(form) {
  for (const element of form.querySelectorAll(".field-error")) {
    element.hidden = true;
    element.textContent = "";
  }
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
}

// Each error goes next to the field it names, and focus to the first such field; the rest to the form's status.
function showFieldErrors(form, error, statusId) {
  const unplaced = [];
  let first = null;
  for (const { field: name, message } of fieldErrors(error)) {
    const control = name ? form.elements[name] : null;
    if (!control || !control.id) {
      unplaced.push(message);
      continue;
    }
    control.setAttribute("aria-invalid", "true");
    const slot = document.getElementById(`${control.id}-error`);
    slot.textContent = message;
    slot.hidden = false;
    first = first ?? control;
  }
  if (first) {
    setStatus(statusId, "", "info");
    first.focus();
  }
  if (!first || unplaced.length) setStatus(statusId, unplaced.length ? unplaced.join(" ") : describe(error), "error");
}

// --- 4. book automatically ----------------------------------------------------------------------------------

function bookAutomaticallySection(integration) {
  const toggle = h("input", {
    type: "checkbox",
    role: "switch",
    id: "book-automatically",
    checked: integration.book_automatically,
    "aria-describedby": "book-automatically-help",
  });
  toggle.checked = integration.book_automatically;
  toggle.addEventListener("change", () => setBookAutomatically(toggle));
  return h(
    "section",
    { id: "book", "aria-labelledby": "book-title", className: "card" },
    h("h3", { id: "book-title" }, t("bookTitle")),
    h("div", { className: "switch" }, toggle, h("label", { for: "book-automatically" }, t("bookLabel"))),
    h("p", { id: "book-automatically-help", className: "hint" }, t("bookHelp")),
    status("book-status"),
  );
}

async function setBookAutomatically(toggle) {
  const enabled = toggle.checked;
  toggle.disabled = true;
  try {
    const updated = await api("PUT", integrationPath(state.selectedId, "/book-automatically"), { enabled });
    state.integrations = state.integrations.map((item) =>
      item.integration_id === updated.integration_id ? updated : item,
    );
    setStatus("book-status", enabled ? t("bookOn") : t("bookOff"), "success");
  } catch (error) {
    toggle.checked = !enabled;
    setStatus("book-status", describe(error), "error");
  } finally {
    toggle.disabled = false;
    toggle.focus();
  }
}

// --- 5. webshop links ---------------------------------------------------------------------------------------

function linksSection() {
  const { links } = state.detail;
  const input = h("input", { id: "webshop-id", name: "order_integration_id", autocomplete: "off", maxlength: "200" });
  const form = h(
    "form",
    { id: "link-form", className: "inline-form", novalidate: true },
    field("webshop-id", t("webshopId"), input, t("webshopIdHelp")),
    h(
      "div",
      { className: "actions" },
      h("button", { type: "submit", id: "link-button", className: "secondary" }, t("link")),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form.querySelector("button[type=submit]"), () => addLink(form));
  });
  return h(
    "section",
    { id: "links", "aria-labelledby": "links-title", className: "card" },
    h("h3", { id: "links-title" }, t("linksTitle")),
    h("p", {}, t("linksIntro")),
    links.length
      ? h("ul", { className: "links" }, links.map(linkItem))
      : h("p", { className: "empty" }, t("noLinks")),
    form,
    status("links-status"),
  );
}

function linkItem(link) {
  const id = link.order_integration_id;
  const button = h(
    "button",
    { type: "button", className: "quiet", "aria-label": t("unlinkNamed", { id }) },
    t("unlink"),
  );
  button.addEventListener("click", () => busy(button, () => removeLink(id)));
  return h(
    "li",
    {},
    h("span", { className: "webshop" }, id),
    h("span", { className: "muted" }, t("linkedAt", { date: formatDate(link.linked_at) })),
    button,
  );
}

async function addLink(form) {
  clearFieldErrors(form);
  const id = form.elements.order_integration_id.value.trim();
  if (!id) {
    const missing = new ApiError(422, { message: `order_integration_id: ${t("webshopIdRequired")}` });
    showFieldErrors(form, missing, "links-status");
    return;
  }
  try {
    const link = await api("PUT", integrationPath(state.selectedId, `/links/${encodeURIComponent(id)}`));
    state.detail.links = [...state.detail.links.filter((item) => item.order_integration_id !== id), link];
    replace("links", linksSection);
    setStatus("links-status", t("linked", { id }), "success");
    document.getElementById("webshop-id")?.focus();
  } catch (error) {
    // A conflict or a refusal is about the id typed, so it belongs at that field.
    const named = fieldErrors(error).length
      ? error
      : new ApiError(error.status, { message: `order_integration_id: ${describe(error)}` });
    showFieldErrors(form, named, "links-status");
  }
}

async function removeLink(id) {
  try {
    await api("DELETE", integrationPath(state.selectedId, `/links/${encodeURIComponent(id)}`));
    state.detail.links = state.detail.links.filter((item) => item.order_integration_id !== id);
    replace("links", linksSection);
    setStatus("links-status", t("unlinked", { id }), "success");
    document.getElementById("webshop-id")?.focus();
  } catch (error) {
    setStatus("links-status", describe(error), "error");
  }
}

// --- 6. orders ----------------------------------------------------------------------------------------------

// The paged answer is {orders, next_cursor}; a plain list is every order at once.
async function fetchOrders(id, cursor) {
  const query = new URLSearchParams({ limit: String(ORDERS_PAGE_SIZE) });
  if (cursor) query.set("cursor", cursor);
  const answer = await api("GET", integrationPath(id, `/orders?${query}`));
  if (Array.isArray(answer)) return { orders: answer, next: null };
  return { orders: answer.orders ?? [], next: answer.next_cursor ?? null };
}

function ordersSection() {
  const { orders, nextCursor } = state.detail;
  const refreshButton = h("button", { type: "button", id: "orders-refresh", className: "secondary" }, t("refresh"));
  refreshButton.addEventListener("click", () => busy(refreshButton, reloadOrders));
  const table = orders.length
    ? h(
        "div",
        { className: "table-wrap" },
        h(
          "table",
          { className: "orders" },
          h("caption", { className: "visually-hidden" }, t("ordersCaption")),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["order", "status", "invoice", "amount", "reason", "received"].map((column) =>
                h("th", { scope: "col", className: column === "amount" ? "number" : null }, t(`col_${column}`)),
              ),
              h("th", { scope: "col" }, h("span", { className: "visually-hidden" }, t("col_action"))),
            ),
          ),
          h("tbody", {}, orders.map(orderRow)),
        ),
      )
    : h("p", { className: "empty" }, t("noOrders"));
  let more = null;
  if (nextCursor) {
    more = h("button", { type: "button", id: "orders-more", className: "secondary" }, t("more"));
    more.addEventListener("click", () => busy(more, loadMoreOrders));
  }
  return h(
    "section",
    { id: "orders", "aria-labelledby": "orders-title", className: "card" },
    h("div", { className: "section-head" }, h("h3", { id: "orders-title" }, t("ordersTitle")), refreshButton),
    h("p", {}, t("ordersIntro")),
    table,
    more ? h("div", { className: "actions" }, more) : null,
    status("orders-status"),
  );
}

function orderRow(order) {
  const number = order.order_number;
  let action = null;
  if (RETRYABLE.has(order.status)) {
    action = h(
      "button",
      { type: "button", className: "secondary small", "aria-label": t("retryNamed", { number }) },
      t("retry"),
    );
    action.addEventListener("click", () => busy(action, () => retryOrder(order)));
  }
  const statusKind = { booked: "ok", draft: "info", failed: "error", skipped: "off" }[order.status] ?? "off";
  return h(
    "tr",
    { id: `order-${order.order_id}`, "data-status": order.status },
    h(
      "th",
      { scope: "row", tabindex: "-1" },
      number,
      order.fulfillment_id !== null
        ? h("span", { className: "muted block" }, t("fulfillment", { id: order.fulfillment_id }))
        : null,
    ),
    h("td", {}, badge(t(`status_${order.status}`), statusKind)),
    h("td", {}, order.invoice_number ?? "–"),
    h("td", { className: "number" }, formatAmount(order.total_incl_vat, order.currency)),
    h("td", { className: "reason" }, order.reason ?? ""),
    h("td", {}, formatDate(order.created_at)),
    h("td", {}, action),
  );
}

async function reloadOrders() {
  try {
    const page = await fetchOrders(state.selectedId, null);
    state.detail.orders = page.orders;
    state.detail.nextCursor = page.next;
    replace("orders", ordersSection);
  } catch (error) {
    setStatus("orders-status", describe(error), "error");
  }
}

async function loadMoreOrders() {
  try {
    const page = await fetchOrders(state.selectedId, state.detail.nextCursor);
    const known = new Set(state.detail.orders.map((order) => order.order_id));
    const added = page.orders.filter((order) => !known.has(order.order_id));
    state.detail.orders = [...state.detail.orders, ...added];
    state.detail.nextCursor = page.next;
    replace("orders", ordersSection);
    // The first new row, so a keyboard user goes on reading where the list grew.
    const target = added.length ? document.querySelector(`#order-${CSS.escape(added[0].order_id)} th`) : null;
    (target ?? document.getElementById("orders-refresh"))?.focus();
  } catch (error) {
    setStatus("orders-status", describe(error), "error");
  }
}

async function retryOrder(order) {
  try {
    const path = integrationPath(state.selectedId, `/orders/${encodeURIComponent(order.order_id)}/retry`);
    const queued = await api("POST", path);
    state.detail.orders = state.detail.orders.map((item) => (item.order_id === queued.order_id ? queued : item));
    replace("orders", ordersSection);
    setStatus("orders-status", t("retried", { number: order.order_number }), "success");
    document.getElementById("orders-refresh")?.focus();
  } catch (error) {
    setStatus("orders-status", describe(error), "error");
  }
}

// --- 7. disconnect ------------------------------------------------------------------------------------------

function disconnectSection() {
  if (!isConnected()) return h("div", { id: "disconnect", hidden: true });
  const button = h("button", { type: "button", id: "disconnect-button", className: "danger" }, t("disconnectButton"));
  button.addEventListener("click", async () => {
    // Not disabled while the dialog is open: closing it gives the focus back to this button.
    if (await confirmDisconnect()) await busy(button, disconnect);
  });
  return h(
    "section",
    { id: "disconnect", "aria-labelledby": "disconnect-title", className: "card" },
    h("h2", { id: "disconnect-title" }, t("disconnectTitle")),
    h("p", {}, t("disconnectIntro")),
    h("div", { className: "actions" }, button),
    status("disconnect-status"),
  );
}

function confirmDisconnect() {
  return new Promise((resolve) => {
    const confirmButton = h(
      "button",
      { type: "button", id: "disconnect-confirm", className: "danger" },
      t("disconnectConfirm"),
    );
    // Focus starts on the harmless choice.
    const cancelButton = h(
      "button",
      { type: "button", id: "disconnect-cancel", className: "secondary", autofocus: true },
      t("cancel"),
    );
    const dialog = h(
      "dialog",
      {
        id: "disconnect-dialog",
        "aria-labelledby": "disconnect-dialog-title",
        "aria-describedby": "disconnect-dialog-text",
      },
      h("h2", { id: "disconnect-dialog-title" }, t("disconnectConfirmTitle")),
      h("p", { id: "disconnect-dialog-text" }, t("disconnectConfirmText")),
      h("div", { className: "actions" }, confirmButton, cancelButton),
    );
    confirmButton.addEventListener("click", () => dialog.close("confirm"));
    cancelButton.addEventListener("click", () => dialog.close("cancel"));
    // Escape closes it too, with no value: that is a cancel.
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "confirm");
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

async function disconnect() {
  try {
    await api("DELETE", "connection");
    state.integrations = await api("GET", "integrations");
    state.selectedId = null;
    state.detail = null;
    notify("success", () => t("disconnected"));
    render();
    document.getElementById("connect-button")?.focus();
  } catch (error) {
    setStatus("disconnect-status", describe(error), "error");
  }
}

// --- the page -----------------------------------------------------------------------------------------------

function render() {
  document.documentElement.lang = state.language;
  document.title = t("appTitle");
  for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  for (const button of document.querySelectorAll("[data-language]")) {
    button.setAttribute("aria-pressed", String(button.dataset.language === state.language));
  }
  renderNotice();
  const main = document.getElementById("main");
  if (!state.token) {
    main.replaceChildren(
      h("p", { className: "status", "data-kind": "error" }, state.expired ? t("sessionExpired") : t("noToken")),
    );
    return;
  }
  if (!state.loaded) {
    main.replaceChildren(h("p", {}, t("loading")));
    return;
  }
  keepingFocus(() =>
    main.replaceChildren(connectionSection(), integrationsSection(), detailSection(), disconnectSection()),
  );
}

function chooseLanguage(language) {
  state.language = language;
  localStorage.setItem(LANGUAGE_KEY, language);
  render();
}

async function start() {
  for (const button of document.querySelectorAll("[data-language]")) {
    button.addEventListener("click", () => chooseLanguage(button.dataset.language));
  }
  render();
  if (!state.token) return;
  try {
    await takeOAuthOutcome();
    state.integrations = await api("GET", "integrations");
    state.loaded = true;
    render();
    const first = state.integrations.find((integration) => integration.active);
    if (first) await openIntegration(first.integration_id, false);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    notify("error", () => describe(error));
  }
  document.body.dataset.ready = "true";
}

start();
