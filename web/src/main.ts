import { createApp } from "vue";
import App from "./App.vue";
import { router } from "./router";
import { installStrictDates } from "./strictDates";
import "element-plus/es/components/message/style/css";
import "element-plus/es/components/message-box/style/css";
// the form items' rules live in el-form.css (el-form-item.css is empty): a page whose filters
// are form items outside any el-form (成果共享's toolbar) would show them unstyled when opened
// directly, before another page had loaded el-form's CSS
import "element-plus/es/components/form/style/css";
import "./styles.css";

installStrictDates(); // before any date picker parses a typed date
createApp(App).use(router).mount("#app");
