// A message's file in the thread: a photo as a thumbnail that opens full size, a sticker as a
// small image, a voice note or audio with a player, a video with a player, a document as a
// card (name, size, download), a location as a link to a map. While the server fetches the
// file from the provider, a placeholder; when it could not, the reason. The bytes come from
// our own API (GET /api/v1/messages/:id/media), never from the provider.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { icon } from '../ui/icons.js';

// What each kind of file is called in a sentence.
const KINDS = {
  image: () => t('inbox.media.image'),
  sticker: () => t('inbox.media.sticker'),
  audio: () => t('inbox.media.audio'),
  video: () => t('inbox.media.video'),
  document: () => t('inbox.media.document'),
};
const kindName = (type) => (KINDS[type] ?? KINDS.document)();

// 1536 → "1.5 KB": sizes as people read them.
export function formatSize(bytes) {
  const units = ['B', 'KB', 'MB', 'GB'];
  let n = bytes;
  let u = 0;
  for (; n >= 1024 && u < units.length - 1; u++) n /= 1024;
  return `${u === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[u]}`;
}

function location(m) {
  const { latitude: lat, longitude: lon, place_name: name, place_address: address } = m.details ?? {};
  if (typeof lat !== 'number' || typeof lon !== 'number') return null;
  const href = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
  return h('a', { class: 'msg-location', href, target: '_blank', rel: 'noopener noreferrer' },
    icon('pin'), h('span', {}, name ?? t('inbox.media.location'), address && h('small', {}, address)),
    h('span', { class: 'visually-hidden' }, `${lat}, ${lon}`));
}

function ready(m) {
  const { url, file_name: name, size } = m.media;
  const label = name ?? kindName(m.type);
  switch (m.type) {
    case 'image':
    case 'sticker':
      return h('a', { class: ['msg-image', m.type === 'sticker' && 'is-sticker'], href: url, target: '_blank', rel: 'noopener',
        title: t('inbox.media.openFull') },
      h('img', { src: url, alt: m.text ?? label, loading: 'lazy' }));
    case 'audio':
      return h('audio', { class: 'msg-audio', controls: true, preload: 'metadata', src: url, 'aria-label': label });
    case 'video':
      return h('video', { class: 'msg-video', controls: true, preload: 'metadata', src: url, 'aria-label': label });
    default:
      return h('a', { class: 'msg-file', href: url, download: name ?? '' }, icon('file'),
        h('span', { class: 'msg-file-name' }, label),
        h('span', { class: 'msg-file-size' }, formatSize(size)),
        h('span', { class: 'visually-hidden' }, t('inbox.media.download')));
  }
}

// The node for m's file, or null when it has none. cache (a Map) keeps a message's node while
// its state holds, so a re-render never restarts a voice note being played.
export function mediaView(m, cache) {
  if (m.type === 'location') return location(m);
  if (!m.media?.state) return null;
  const key = `${m.media.state}:${m.media.url ?? ''}`;
  const known = cache.get(m.id);
  if (known?.key === key) return known.node;
  let node;
  if (m.media.state === 'ready') node = ready(m);
  else if (m.media.state === 'pending')
    node = h('p', { class: 'msg-media-pending' }, icon('clock'), t('inbox.media.pending', { type: kindName(m.type) }));
  else
    node = h('p', { class: 'msg-media-failed' }, icon('alert'),
      t('inbox.media.failed', { reason: m.media.error ?? t('inbox.tick.noReason') }));
  cache.set(m.id, { key, node });
  return node;
}
