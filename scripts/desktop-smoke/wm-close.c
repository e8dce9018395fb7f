/* wm-close WINDOW_ID: asks an X window to close the way a window manager's
 * close button does (a WM_DELETE_WINDOW client message), so GTK runs its
 * delete-event handler. xdotool's windowclose destroys the window instead.
 * Built and used by scripts/desktop-smoke.sh (cc wm-close.c -lX11). */
#include <X11/Xlib.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: wm-close WINDOW_ID\n");
        return 2;
    }
    Display *dpy = XOpenDisplay(NULL);
    if (!dpy) {
        fprintf(stderr, "wm-close: cannot open display\n");
        return 1;
    }
    Window w = (Window)strtoul(argv[1], NULL, 0);
    XEvent ev = {0};
    ev.xclient.type = ClientMessage;
    ev.xclient.window = w;
    ev.xclient.message_type = XInternAtom(dpy, "WM_PROTOCOLS", False);
    ev.xclient.format = 32;
    ev.xclient.data.l[0] = (long)XInternAtom(dpy, "WM_DELETE_WINDOW", False);
    ev.xclient.data.l[1] = CurrentTime;
    if (!XSendEvent(dpy, w, False, NoEventMask, &ev)) {
        fprintf(stderr, "wm-close: XSendEvent failed\n");
        return 1;
    }
    XSync(dpy, False);
    XCloseDisplay(dpy);
    return 0;
}
