// The demo shop (/demo, served in demo mode only): a page like a customer's site that embeds
// the web chat widget exactly as a company would, with the demo channel's key, which it
// learns from GET /api/v1/demo (no inline script). Its few words are here, in both languages;
// which one is the inbox's choice (the same browser remembers it, or tells it).
import { preferredLanguage } from './js/i18n.js';

const TEXTS = {
  es: {
    shop: 'Tienda Demo', title: 'Bienvenido a nuestra tienda',
    note: 'Página de demostración: el chat de abajo a la derecha llega a la bandeja de Centralita. Entra como agente en otra pestaña y contesta desde allí.',
    p1: 'Auriculares', p1d: 'Sonido claro y batería para todo el día.',
    p2: 'Altavoz', p2d: 'Para el salón o para llevar.',
    p3: 'Cable USB-C', p3d: 'Dos metros, carga rápida.',
    off: 'El modo demo está desactivado en este servidor.',
  },
  en: {
    shop: 'Demo Shop', title: 'Welcome to our shop',
    note: 'A demo page: the chat at the bottom right lands in the Centralita inbox. Log in as an agent in another tab and answer from there.',
    p1: 'Headphones', p1d: 'Clear sound and a battery that lasts all day.',
    p2: 'Speaker', p2d: 'For the living room or on the go.',
    p3: 'USB-C cable', p3d: 'Two metres, fast charging.',
    off: 'Demo mode is off on this server.',
  },
};

const language = preferredLanguage();
document.documentElement.lang = language;
document.title = `${TEXTS[language].shop} · Centralita`;
for (const el of document.querySelectorAll('[data-text]')) el.textContent = TEXTS[language][el.dataset.text];

const res = await fetch('/api/v1/demo').catch(() => null);
if (res?.ok) {
  const { widget_key: key } = await res.json();
  const widget = document.createElement('script');
  widget.src = '/widget.js';
  widget.dataset.key = key;
  widget.async = true;
  document.body.append(widget);
} else {
  document.querySelector('.status').hidden = false;
}
