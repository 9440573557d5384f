import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { onSignOut, restoreSession, session } from './api/session';
import SignInPage from './pages/SignInPage.vue';
import LiveTrafficPage from './pages/LiveTrafficPage.vue';

declare module 'vue-router' {
  interface RouteMeta {
    title?: string;
    section?: string;
    public?: boolean;
    /** The navigation entry a page belongs to, when its own path is not under it (an instance's rules → Instances). */
    nav?: string;
  }
}

// Sign-in and live traffic (where the operator lands) are in the entry chunk; the other pages load
// on first visit, so the first paint does not wait for forms nobody opened yet.
const routes: RouteRecordRaw[] = [
  { path: '/sign-in', name: 'sign-in', component: SignInPage, meta: { title: 'Sign in', public: true } },
  { path: '/', redirect: '/live' },
  { path: '/live', name: 'live', component: LiveTrafficPage, meta: { title: 'Live traffic', section: 'Monitor' } },
  { path: '/tenants', name: 'tenants', component: () => import('./pages/TenantsPage.vue'), meta: { title: 'Tenants', section: 'Setup' } },
  { path: '/numbers', name: 'numbers', component: () => import('./pages/PhoneNumbersPage.vue'), meta: { title: 'Phone numbers', section: 'Setup' } },
  { path: '/onboarding', name: 'onboarding', component: () => import('./pages/OnboardingRunsPage.vue'), meta: { title: 'Onboarding', section: 'Setup' } },
  { path: '/onboarding/new', name: 'onboarding-new', component: () => import('./pages/OnboardingWizardPage.vue'), meta: { title: 'Add client', section: 'Setup' } },
  { path: '/onboarding/:id', name: 'onboarding-run', component: () => import('./pages/OnboardingRunPage.vue'), meta: { title: 'Onboarding run', section: 'Setup', nav: '/onboarding' } },
  { path: '/numbers/:id/doctor', name: 'doctor', component: () => import('./pages/DoctorPage.vue'), meta: { title: 'Number doctor', section: 'Setup', nav: '/numbers' } },
  // A client's invite link: no key, no dashboard around it.
  { path: '/onboard/:token', name: 'invite', component: () => import('./pages/InvitePage.vue'), meta: { title: 'Connect WhatsApp', public: true } },
  { path: '/instances', name: 'instances', component: () => import('./pages/InstancesPage.vue'), meta: { title: 'Instances', section: 'Setup' } },
  { path: '/instances/:id/rules', name: 'rules', component: () => import('./pages/RulesPage.vue'), meta: { title: 'Rules', section: 'Setup', nav: '/instances' } },
  { path: '/templates', name: 'templates', component: () => import('./pages/RuleTemplatesPage.vue'), meta: { title: 'Templates', section: 'Setup' } },
  { path: '/templates/new', name: 'template-new', component: () => import('./pages/TemplateEditorPage.vue'), meta: { title: 'New template', section: 'Setup', nav: '/templates' } },
  { path: '/templates/:id/edit', name: 'template-edit', component: () => import('./pages/TemplateEditorPage.vue'), meta: { title: 'Edit template', section: 'Setup', nav: '/templates' } },
  { path: '/templates/:id/use', name: 'template-use', component: () => import('./pages/UseTemplatePage.vue'), meta: { title: 'Use a template', section: 'Setup', nav: '/templates' } },
  { path: '/webhook-events', name: 'webhook-events', component: () => import('./pages/WebhookEventsPage.vue'), meta: { title: 'Webhook events', section: 'Monitor' } },
  { path: '/compose', name: 'compose', component: () => import('./pages/ComposerPage.vue'), meta: { title: 'Compose', section: 'Messaging' } },
  { path: '/conversations/:contactId?', name: 'conversations', component: () => import('./pages/ConversationsPage.vue'), meta: { title: 'Conversations', section: 'Messaging', nav: '/conversations' } },
  { path: '/campaigns', name: 'campaigns', component: () => import('./pages/CampaignsPage.vue'), meta: { title: 'Campaigns', section: 'Messaging' } },
  { path: '/campaigns/:id', name: 'campaign', component: () => import('./pages/CampaignPage.vue'), meta: { title: 'Campaign', section: 'Messaging' } },
  { path: '/:pathMatch(.*)*', redirect: '/live' },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  await restoreSession();
  if (!to.meta.public && !session.viewer) return { name: 'sign-in', query: to.fullPath !== '/live' && to.fullPath !== '/' ? { next: to.fullPath } : {} };
  if (to.name === 'sign-in' && session.viewer) return { name: 'live' };
  return true;
});

// After a deploy, an open tab may ask for page chunks that no longer exist: load the new build instead.
router.onError((error, to) => {
  if (/dynamically imported module|Importing a module script failed|error loading dynamically/i.test(String(error))) window.location.assign(to.fullPath);
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · wabahub` : 'wabahub';
});

onSignOut(() => {
  if (router.currentRoute.value.name !== 'sign-in') void router.push({ name: 'sign-in' });
});
