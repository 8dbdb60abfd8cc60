// Timeline lines in the reader's language. The server keeps each line's structure (`line`:
// a code and its values, docs/API.md) beside its English text; a line with no structure,
// or with a code this page does not know, is shown as the server wrote it.
import { language, t } from '../i18n.js';

const REASONS = {
  tie: () => t('timeline.reason.tie'),
  not_text: () => t('timeline.reason.notText'),
  no_words: () => t('timeline.reason.noWords'),
  negated: () => t('timeline.reason.negated'),
  no_match: () => t('timeline.reason.noMatch'),
};

const METHODS = {
  round_robin: () => t('timeline.method.roundRobin'),
  balanced: () => t('timeline.method.balanced'),
};

function when(ms) {
  return new Intl.DateTimeFormat(language(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms));
}

const reason = (v) => REASONS[v.reason]?.() ?? REASONS.no_match();

// Each code: its words, or null when its values do not fit them.
const LINES = {
  transferred: (v) => t('timeline.transferred', { ...v, from: v.from ?? t('inbox.team.none') }),
  assigned: (v) => t('timeline.assigned', v),
  unassigned: (v) => t('timeline.unassigned', v),
  auto_assigned: (v) => METHODS[v.method] && t('timeline.autoAssigned', { ...v, method: METHODS[v.method]() }),
  resolved: (v) => t('timeline.resolved', v),
  reopened: (v) => t('timeline.reopened', v),
  snoozed: (v) => t('timeline.snoozed', { ...v, until: when(v.until) }),
  snooze_ended: () => t('timeline.snoozeEnded'),
  noted: (v) => t('timeline.noted', v),
  tagged: (v) => t('timeline.tagged', v),
  untagged: (v) => t('timeline.untagged', v),
  welcomed: (v) => (v.why === 'sent_back' ? t('timeline.routing.welcomedSentBack')
    : v.why === 'reopened' ? t('timeline.routing.welcomedReopened', v) : t('timeline.routing.welcomedNew')),
  matched: (v) => v.team != null && t('timeline.routing.matched', v),
  answered: (v) => t('timeline.routing.answered', v),
  fell_back: (v) => (v.max_attempts ? t('timeline.routing.fellBack', { ...v, reason: reason(v) })
    : t('timeline.routing.fellBackNoLimit', { ...v, reason: reason(v) })),
  gave_up: (v) => t('timeline.routing.gaveUp', { ...v, reason: reason(v) }),
  off: () => t('timeline.routing.off'),
  turned_off: () => t('timeline.routing.turnedOff'),
  reopened_where: () => t('timeline.routing.reopenedWhere'),
  stopped: () => t('timeline.routing.stopped'),
  not_sent_back: () => t('timeline.routing.notSentBack'),
  out_of_hours: () => t('timeline.outOfHours'),
  reassigned: (v) => t('timeline.reassigned', v),
  requeued: (v) => t('timeline.requeued', v),
};

// e: a line of GET /conversations/:id/events.
export function lineText(e) {
  return (e.line && Object.hasOwn(LINES, e.line.code) && LINES[e.line.code](e.line)) || e.text;
}
