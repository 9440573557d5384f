import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { onSignOut, restoreSession, session } from './api/session';
import SignInPage from './pages/SignInPage.vue';
import LiveTrafficPage from './pages/LiveTrafficPage.vue';
import TenantsPage from './pages/TenantsPage.vue';
import PhoneNumbersPage from './pages/PhoneNumbersPage.vue';
import InstancesPage from './pages/InstancesPage.vue';
import RuleTemplatesPage from './pages/RuleTemplatesPage.vue';
import WebhookEventsPage from './pages/WebhookEventsPage.vue';

declare module 'vue-router' {
  interface RouteMeta {
    title?: string;
    section?: string;
    public?: boolean;
  }
}

// Pages are small; one bundle avoids a request waterfall on every first visit to a page.
const routes: RouteRecordRaw[] = [
  { path: '/sign-in', name: 'sign-in', component: SignInPage, meta: { title: 'Sign in', public: true } },
  { path: '/', redirect: '/live' },
  { path: '/live', name: 'live', component: LiveTrafficPage, meta: { title: 'Live traffic', section: 'Monitor' } },
  { path: '/tenants', name: 'tenants', component: TenantsPage, meta: { title: 'Tenants', section: 'Setup' } },
  { path: '/numbers', name: 'numbers', component: PhoneNumbersPage, meta: { title: 'Phone numbers', section: 'Setup' } },
  { path: '/instances', name: 'instances', component: InstancesPage, meta: { title: 'Instances', section: 'Setup' } },
  { path: '/templates', name: 'templates', component: RuleTemplatesPage, meta: { title: 'Rule templates', section: 'Setup' } },
  { path: '/webhook-events', name: 'webhook-events', component: WebhookEventsPage, meta: { title: 'Webhook events', section: 'Monitor' } },
  { path: '/:pathMatch(.*)*', redirect: '/live' },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  await restoreSession();
  if (!to.meta.public && !session.viewer) return { name: 'sign-in', query: to.fullPath !== '/live' && to.fullPath !== '/' ? { next: to.fullPath } : {} };
  if (to.name === 'sign-in' && session.viewer) return { name: 'live' };
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · wabahub` : 'wabahub';
});

onSignOut(() => {
  if (router.currentRoute.value.name !== 'sign-in') void router.push({ name: 'sign-in' });
});
