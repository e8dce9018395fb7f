//go:build desktop && linux

package app

/*
#cgo linux pkg-config: gtk+-3.0
#cgo !webkit2_41 pkg-config: webkit2gtk-4.0
#cgo webkit2_41 pkg-config: webkit2gtk-4.1
#include <gtk/gtk.h>
#include <webkit2/webkit2.h>
#include <string.h>

// A file dropped on the window is the window's (Go reads its path); the web
// view must not open it as a page, which WebKit does when the page has not
// yet answered the drag (a quick drop).
static gboolean fuseboxDecidePolicy(WebKitWebView *view, WebKitPolicyDecision *decision, WebKitPolicyDecisionType type, gpointer data) {
	if (type != WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION && type != WEBKIT_POLICY_DECISION_TYPE_NEW_WINDOW_ACTION) {
		return FALSE;
	}
	WebKitNavigationAction *action = webkit_navigation_policy_decision_get_navigation_action(WEBKIT_NAVIGATION_POLICY_DECISION(decision));
	const gchar *uri = webkit_uri_request_get_uri(webkit_navigation_action_get_request(action));
	if (uri != NULL && strncmp(uri, "file:", 5) == 0) {
		webkit_policy_decision_ignore(decision);
		return TRUE;
	}
	return FALSE;
}

static void fuseboxFindWebViews(GtkWidget *w, gpointer count) {
	if (WEBKIT_IS_WEB_VIEW(w)) {
		if (g_object_get_data(G_OBJECT(w), "fusebox-no-file-pages") == NULL) {
			g_object_set_data(G_OBJECT(w), "fusebox-no-file-pages", GINT_TO_POINTER(1));
			g_signal_connect(G_OBJECT(w), "decide-policy", G_CALLBACK(fuseboxDecidePolicy), NULL);
		}
		(*(int *)count)++;
		return;
	}
	if (GTK_IS_CONTAINER(w)) {
		gtk_container_forall(GTK_CONTAINER(w), fuseboxFindWebViews, count);
	}
}

static int fuseboxGuardedViews;

static gboolean fuseboxGuardWebViews(gpointer unused) {
	int count = 0;
	GList *tops = gtk_window_list_toplevels();
	for (GList *l = tops; l != NULL; l = l->next) {
		fuseboxFindWebViews(GTK_WIDGET(l->data), &count);
	}
	g_list_free(tops);
	fuseboxGuardedViews = count;
	return G_SOURCE_REMOVE;
}

static void fuseboxGuardSoon(void) { g_idle_add(fuseboxGuardWebViews, NULL); }
*/
import "C"

// keepFileDropsOffThePage makes the window's web view refuse to open a
// file:// page (a dropped file), on the GTK main loop.
func keepFileDropsOffThePage() { C.fuseboxGuardSoon() }
