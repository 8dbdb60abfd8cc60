// An inbox view: General (conversations with no team), Mine (assigned to me), one team's,
// or All (admins). The conversation list arrives with the conversations API; until then
// each view says what it will hold.
import { get } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { emptyState, pageHeader } from './page.js';

async function describe(kind, params) {
  switch (kind) {
    case 'general': return { title: t('inbox.general.title'), lead: t('inbox.general.lead') };
    case 'mine': return { title: t('inbox.mine.title'), lead: t('inbox.mine.lead') };
    case 'all': return { title: t('inbox.all.title'), lead: t('inbox.all.lead') };
    default: {
      const { team } = await get(`/teams/${params.id}`);
      return { title: team.name, lead: t('inbox.team.lead', { team: team.name }) };
    }
  }
}

export async function inboxView({ route, params }) {
  const { title, lead } = await describe(route.inbox, params);
  const content = h('div', { class: 'page' },
    pageHeader(title, lead),
    h('section', { class: 'card' }, emptyState('chat', t('inbox.empty.title'), t('inbox.empty.text'))));
  return { title, content };
}
