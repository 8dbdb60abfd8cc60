// Building the page safely. h() creates elements whose string children become text
// nodes, never HTML, so names and messages typed by users and customers always show
// exactly as typed. Nothing in web/ may use innerHTML, outerHTML or insertAdjacentHTML
// (a black-box test checks).

// h('button', { class: 'btn', onclick: fn, disabled: true }, 'text', otherNode, [more])
// Attributes: null, undefined and false are left out, true is an empty attribute,
// on* functions become listeners, `value` and `checked` are set last as properties.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  const late = {};
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'value' || name === 'checked') late[name] = value;
    else if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  Object.assign(el, late);
  return el;
}

// Appends nodes and strings (as text), skipping null, undefined and false, flattening arrays.
function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
  return parent;
}

let lastId = 0;
// A page-unique id, to tie a label or a description to its control.
export function uid(prefix) {
  lastId += 1;
  return `${prefix}-${lastId}`;
}

// Up to two initials for an avatar, from the first two words that have a letter or a
// digit: "Ana Pérez" → "AP". Empty when there are none (the avatar is decoration).
export function initials(name) {
  return name.split(/\s+/)
    .map((word) => word.match(/[\p{L}\p{N}]/u)?.[0])
    .filter(Boolean)
    .slice(0, 2)
    .join('')
    .toUpperCase();
}
