import { createApp } from "vue";
import App from "./App.vue";
import { router } from "./router";
import { installStrictDates } from "./strictDates";
import "element-plus/es/components/message/style/css";
import "element-plus/es/components/message-box/style/css";
import "./styles.css";

installStrictDates(); // before any date picker parses a typed date
createApp(App).use(router).mount("#app");
