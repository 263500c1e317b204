import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { ElMessage } from "element-plus";
import { homeFor, mayOpen } from "./auth/menu";
import { restore, session } from "./auth/session";

// every page is its own chunk: the first screen loads the shell and that page only
const routes: RouteRecordRaw[] = [
  { path: "/login", name: "login", component: () => import("./views/LoginPage.vue"), meta: { public: true } },
  { path: "/public", name: "public", component: () => import("./views/PublicPage.vue"), meta: { public: true, title: "公开信息" } },
  { path: "/oidc/callback", name: "oidc-callback", component: () => import("./views/OidcCallback.vue"), meta: { public: true } },
  {
    path: "/",
    component: () => import("./views/WorkbenchLayout.vue"),
    children: [
      // decided by the guard once the session is known (a redirect here runs before it: on a
      // reload or an address typed, no session yet, it sent everyone to 无可办理事项)
      { path: "", name: "home", component: () => import("./views/NoPage.vue") },
      { path: "overview", name: "overview", component: () => import("./views/OverviewPage.vue"), meta: { title: "总览" } },
      { path: "petitions", name: "petitions", component: () => import("./views/PetitionsPage.vue"), meta: { title: "信访受理" } },
      { path: "clues", name: "clues", component: () => import("./views/CluesPage.vue"), meta: { title: "问题线索" } },
      { path: "clues/:id", name: "clue", component: () => import("./views/CluePage.vue"), meta: { title: "线索详情", menu: "clues" } },
      { path: "clue-funnel", name: "clue-funnel", component: () => import("./views/ClueFunnelPage.vue"), meta: { title: "线索办理漏斗" } },
      { path: "notices", name: "notices", component: () => import("./views/NoticesPage.vue"), meta: { title: "举报人告知" } },
      { path: "findings", name: "findings", component: () => import("./views/FindingsPage.vue"), meta: { title: "问题与报告" } },
      { path: "office-summary", name: "office-summary", component: () => import("./views/OfficeSummaryPage.vue"), meta: { title: "工作总结" } },
      { path: "rectification", name: "rectification", component: () => import("./views/RectificationPage.vue"), meta: { title: "反馈与整改" } },
      { path: "supervision", name: "supervision", component: () => import("./views/SupervisionPage.vue"), meta: { title: "整改督办与销号" } },
      { path: "revisits", name: "revisits", component: () => import("./views/RevisitsPage.vue"), meta: { title: "回头看与共性问题" } },
      { path: "publications", name: "publications", component: () => import("./views/PublicationsPage.vue"), meta: { title: "巡察公开" } },
      { path: "cadre-opinions", name: "cadre-opinions", component: () => import("./views/CadreOpinionsPage.vue"), meta: { title: "干部任用征求意见" } },
      { path: "reserve-cadres", name: "reserve-cadres", component: () => import("./views/ReserveCadresPage.vue"), meta: { title: "后备干部库" } },
      { path: "unit-work", name: "unit-work", component: () => import("./views/UnitWorkPage.vue"), meta: { title: "本单位整改" } },
      { path: "deadlines", name: "deadlines", component: () => import("./views/DeadlinesPage.vue"), meta: { title: "期限预警" } },
      { path: "rules", name: "rules", component: () => import("./views/RulesPage.vue"), meta: { title: "期限规则" } },
      { path: "planning", name: "planning", component: () => import("./views/PlanningPage.vue"), meta: { title: "巡察规划" } },
      { path: "county-oversight", name: "county-oversight", component: () => import("./views/CountyOversightPage.vue"), meta: { title: "县区巡察督导" } },
      { path: "rounds", name: "rounds", component: () => import("./views/RoundsPage.vue"), meta: { title: "巡察轮次" } },
      { path: "talent-pool", name: "talent-pool", component: () => import("./views/TalentPoolPage.vue"), meta: { title: "巡察人才库" } },
      { path: "group-work", name: "group-work", component: () => import("./views/GroupWorkPage.vue"), meta: { title: "了解情况" } },
      { path: "feeds", name: "feeds", component: () => import("./views/FeedsPage.vue"), meta: { title: "成果共享" } },
      { path: "audit", name: "audit", component: () => import("./views/AuditPage.vue"), meta: { title: "审计" } },
      { path: "none", name: "none", component: () => import("./views/NoPage.vue"), meta: { title: "工作台", always: true } },
    ],
  },
  // an address that is no page: said, then the reader's home
  { path: "/:rest(.*)*", name: "missing", component: () => import("./views/NoPage.vue") },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  // fetch the page's chunks while the session is checked (/config.json, /api/v1/me): the
  // router awaits the same cached imports afterwards
  for (const record of to.matched) {
    const view = record.components?.default;
    if (typeof view === "function") void (view as () => Promise<unknown>)();
  }
  const me = await restore();
  if (!me) {
    const query: Record<string, string> = to.fullPath !== "/" ? { back: to.fullPath } : {};
    // the services could not check the kept sign-in: the sign-in page says so and retries
    if (session.unavailable) query.unavailable = "1";
    return { name: "login", query };
  }
  if (to.name === "home") return homeFor(me.role);
  if (to.name === "missing") {
    ElMessage.warning(`没有“${to.path}”这个页面，已转到本账号的首页`);
    return homeFor(me.role);
  }
  if (to.name === "none" && homeFor(me.role) !== "/none") return homeFor(me.role);
  const name = (to.meta.menu as string | undefined) ?? (to.name as string | undefined);
  if (name && !to.meta.always && !mayOpen(me.role, name, me.department)) {
    // a page of another role (an address typed or kept): said, not silently swapped for home
    const title = (to.meta.title as string | undefined) ?? "该页面";
    ElMessage.warning(`当前账号无权打开“${title}”，已转到本账号的首页`);
    return homeFor(me.role);
  }
  return true;
});

router.afterEach((to) => {
  const title = to.meta.title as string | undefined;
  document.title = title ? `${title} · 巡察工作台` : "巡察工作台";
});

// A page's code comes in chunks named by their content: after a new workbench is deployed, a
// tab opened before it asks for chunks that are gone (404), and the click did nothing. The new
// workbench is loaded at the page asked for, once a minute at most (a chunk that keeps
// failing is said, not reloaded for ever).
const RELOADED_AT = "xuncha.reloaded-for-update";
// (the page's script, or its styles vite loads before it: "Unable to preload CSS")
const STALE_CHUNK = /Failed to fetch dynamically imported module|error loading dynamically imported module|Importing a module script failed|Unable to preload CSS/i;
function loadNewWorkbench(path: string): boolean {
  const last = Number(sessionStorage.getItem(RELOADED_AT) ?? 0);
  if (Date.now() - last < 60_000) return false;
  sessionStorage.setItem(RELOADED_AT, String(Date.now()));
  window.location.assign(path);
  return true;
}
router.onError((err: unknown, to) => {
  if (!(err instanceof Error) || !STALE_CHUNK.test(err.message)) return;
  if (!loadNewWorkbench(to.fullPath)) ElMessage.error("工作台已更新，页面加载失败，请刷新浏览器后重试");
});
