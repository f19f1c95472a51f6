/** The app page: header, uploads, live task cards, history and the result viewer, wired together. */
import 'katex/dist/katex.min.css';
import './styles/base.css';
import './styles/app.css';
import { createApi } from './api.js';
import { pathPrefix, readPageConfig } from './config.js';
import { h, setText } from './dom.js';
import { createHistory } from './history.js';
import { applyDocumentLang, onLangChange, t } from './i18n.js';
import { createLangSwitch } from './lang-switch.js';
import { createLive, type LiveState } from './live.js';
import { createResultView } from './result-view.js';
import { createTaskCards } from './task-cards.js';
import { createTaskStore } from './tasks.js';
import { createUploads } from './uploads.js';

const config = readPageConfig();
const prefix = pathPrefix(config);
const api = createApi(prefix, config.backUrl);
const store = createTaskStore();
const live = createLive(prefix);
live.onMessage((message) => store.apply(message));

let syncQueued = false;
/** Watches exactly the shown tasks that still run; batched, since many cards change at once. */
const syncSubscriptions = () => {
  if (syncQueued) return;
  syncQueued = true;
  queueMicrotask(() => {
    syncQueued = false;
    live.watch(cards.watched());
  });
};

const results = createResultView(api, store);
const cards = createTaskCards({ api, store, results, onChange: syncSubscriptions, onDeleted: () => void history.reload() });
// The history counts a new task (its card stays under Uploads) and shows the ones cleared from there.
const uploads = createUploads({ api, config, store, cards, onTasksChanged: () => void history.reload() });
const history = createHistory({ api, store, cards, hidden: () => uploads.taskIds() });

const liveStatus = h('span', { class: 'live-status', role: 'status' });
let liveState: LiveState = 'connecting';
const renderLive = () => {
  liveStatus.dataset.state = liveState;
  setText(liveStatus, t(liveState === 'open' ? 'live.open' : liveState === 'reconnecting' ? 'live.reconnecting' : 'live.connecting'));
};
live.onState((state, reconnected) => {
  liveState = state;
  renderLive();
  // Tasks may have finished, started or been deleted while the page was not listening.
  if (reconnected) void history.reload();
});

const header = h('header', { class: 'top' },
  h('h1', { class: 'app-title', text: config.title }),
  h('div', { class: 'top-tools' }, liveStatus, createLangSwitch()));
const main = h('main', { class: 'app' }, uploads.el, history.el);
document.getElementById('root')?.replaceChildren(header, main);

applyDocumentLang();
onLangChange(renderLive);
renderLive();
live.start();
void history.reload();
