// Line icons drawn as inline SVG elements (24×24, stroked with the text colour). They are
// decoration: hidden from screen readers, so the text or label beside them carries the meaning.
import { h } from '../dom.js';

const SVG = 'http://www.w3.org/2000/svg';

// Each icon: paths ("d") and circles ([cx, cy, r]).
const ICONS = {
  menu: ['M4 6h16M4 12h16M4 18h16'],
  close: ['M6 6l12 12M18 6 6 18'],
  inbox: ['M4 13 6.5 6h11l2.5 7v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1z', 'M4 13h4.5l1 2.5h5l1-2.5H20'],
  user: [[12, 8, 4], 'M4.5 20c1.3-3.6 4.2-5.5 7.5-5.5s6.2 1.9 7.5 5.5'],
  users: [[9, 8, 3.5], 'M2.5 19.5c1-3.4 3.4-5.2 6.5-5.2s5.5 1.8 6.5 5.2', 'M15.5 4.7a3.5 3.5 0 0 1 0 6.6', 'M17.5 14.6c2 .6 3.3 2.3 4 4.9'],
  layers: ['M12 3.5 21 8l-9 4.5L3 8z', 'M3 12.5l9 4.5 9-4.5', 'M3 16.5l9 4.5 9-4.5'],
  sliders: ['M4 7h9M17 7h3M4 17h3M11 17h9', [15, 7, 2], [9, 17, 2]],
  logout: ['M9 4H6a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h3', 'M15.5 8l4 4-4 4', 'M19.5 12H9.5'],
  plus: ['M12 5v14M5 12h14'],
  pencil: ['M4 20h4L19 9l-4-4L4 16z', 'M13.5 6.5l4 4'],
  trash: ['M4 7h16', 'M9.5 7V4.5h5V7', 'M6 7l1 13h10l1-13'],
  chat: ['M4 5.5A1.5 1.5 0 0 1 5.5 4h13A1.5 1.5 0 0 1 20 5.5v9a1.5 1.5 0 0 1-1.5 1.5H9l-5 4z', 'M8 9h8M8 12h5'],
  globe: [[12, 12, 9], 'M3 12h18', 'M12 3c2.8 2.5 4 5.5 4 9s-1.2 6.5-4 9c-2.8-2.5-4-5.5-4-9s1.2-6.5 4-9z'],
  copy: ['M9 9h10v11H9z', 'M15 9V5a1 1 0 0 0-1-1H6a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h3'],
  back: ['M19 12H5', 'M11 6l-6 6 6 6'],
  phone: ['M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a1 1 0 0 1-1 1A16 16 0 0 1 4 5a1 1 0 0 1 1-1z'],
  messenger: ['M12 3.5c-4.7 0-8.5 3.5-8.5 7.8 0 2.4 1.2 4.6 3.1 6v3.2l2.9-1.6c.8.2 1.6.3 2.5.3 4.7 0 8.5-3.5 8.5-7.9S16.7 3.5 12 3.5z', 'M7.5 13.5 10.5 10l2.5 2 3.5-3.5'],
  camera: ['M4.5 4h15a.5.5 0 0 1 .5.5v15a.5.5 0 0 1-.5.5h-15a.5.5 0 0 1-.5-.5v-15a.5.5 0 0 1 .5-.5z', [12, 12, 4], [17, 7, 0.6]],
  send: ['M21 3 3 10.5l7 2.5 2.5 7z', 'M21 3 10 13'],
  grip: [[9, 6, 1], [15, 6, 1], [9, 12, 1], [15, 12, 1], [9, 18, 1], [15, 18, 1]],
  up: ['M12 19V5', 'M6 11l6-6 6 6'],
  down: ['M12 5v14', 'M6 13l6 6 6-6'],
  route: [[6, 6, 2], [18, 18, 2], 'M8 6h6a3 3 0 0 1 0 6h-4a3 3 0 0 0 0 6h6'],
  plug: ['M9 3v5M15 3v5', 'M6 8h12v3a6 6 0 0 1-12 0z', 'M12 17v4'],
  check: ['M5 12.5l4.5 4.5L19 7.5'],
  alert: [[12, 12, 9], 'M12 7.5v5.5', 'M12 16.2v.3'],
  whatsapp: ['M4 20l1.3-4.2A8.5 8.5 0 1 1 8.4 19z', 'M9 8.5c0 3.5 2.9 6.5 6.5 6.5l1-1.6-2-1-1 .8a4.5 4.5 0 0 1-2.2-2.2l.8-1-1-2z'],
  clock: [[12, 12, 8.5], 'M12 7.5V12l3 2'],
  checks: ['M2.5 12.5 7 17l9.5-9.5', 'M12 16l1 1 9.5-9.5'],
  search: [[11, 11, 6.5], 'M16 16l4.5 4.5'],
  bell: ['M6 16V11a6 6 0 0 1 12 0v5l1.5 2h-15z', 'M10 20.5a2 2 0 0 0 4 0'],
  keyboard: ['M3.5 6.5h17v11h-17z', 'M7 10h.5M10.5 10h.5M14 10h.5M17 10h.5M8 14h8'],
  note: ['M5 4h14v11l-5 5H5z', 'M14 20v-5h5', 'M8.5 9h7M8.5 12h4'],
  file: ['M6 3.5h8l4 4V20a.5.5 0 0 1-.5.5h-11.5a.5.5 0 0 1-.5-.5V4a.5.5 0 0 1 .5-.5z', 'M14 3.5V8h4'],
  clip: ['M20 11.5 12.2 19.3a5 5 0 0 1-7.1-7.1l8-8a3.3 3.3 0 0 1 4.7 4.7l-8 8a1.7 1.7 0 0 1-2.4-2.4l7.3-7.3'],
  pin: ['M12 21s-6.5-6.2-6.5-11a6.5 6.5 0 0 1 13 0c0 4.8-6.5 11-6.5 11z', [12, 10, 2.3]],
  moon: ['M19.5 14.5A7.5 7.5 0 0 1 9.5 4.5a7.5 7.5 0 1 0 10 10z'],
  more: [[5, 12, 1.2], [12, 12, 1.2], [19, 12, 1.2]],
  undo: ['M9 14 4 9l5-5', 'M4 9h10.5a5.5 5.5 0 0 1 0 11H11'],
};

export function icon(name) {
  const svg = document.createElementNS(SVG, 'svg');
  for (const [k, v] of Object.entries({ viewBox: '0 0 24 24', class: 'icon', 'aria-hidden': 'true', focusable: 'false' }))
    svg.setAttribute(k, v);
  for (const shape of ICONS[name]) {
    const el = document.createElementNS(SVG, typeof shape === 'string' ? 'path' : 'circle');
    if (typeof shape === 'string') el.setAttribute('d', shape);
    else ['cx', 'cy', 'r'].forEach((k, i) => el.setAttribute(k, shape[i]));
    svg.append(el);
  }
  return svg;
}

// The product's mark, from the same file as the favicon.
export function logo() {
  return h('img', { class: 'logo', src: '/assets/img/icon.svg', alt: '', width: 32, height: 32 });
}
