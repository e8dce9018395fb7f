/* xdnd-drop WINDOW_ID X Y PATH: drops the file PATH on the X window at the
 * window-relative point (X, Y) the way a file manager does, by the XDND
 * protocol (version 5): it owns the XdndSelection, sends XdndEnter,
 * XdndPosition, waits for XdndStatus, sends XdndDrop, answers the target's
 * request for text/uri-list and waits for XdndFinished. Exit 0 when the
 * target accepted and finished the drop. Used by scripts/desktop-smoke.sh
 * (cc xdnd-drop.c -lX11); xdotool cannot drag files. */
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

static Display *dpy;
static Atom A(const char *name) { return XInternAtom(dpy, name, False); }

static void send_client(Window target, Window src, Atom type, long l1, long l2, long l3, long l4) {
    XEvent ev = {0};
    ev.xclient.type = ClientMessage;
    ev.xclient.window = target;
    ev.xclient.message_type = type;
    ev.xclient.format = 32;
    ev.xclient.data.l[0] = (long)src;
    ev.xclient.data.l[1] = l1;
    ev.xclient.data.l[2] = l2;
    ev.xclient.data.l[3] = l3;
    ev.xclient.data.l[4] = l4;
    XSendEvent(dpy, target, False, NoEventMask, &ev);
    XFlush(dpy);
}

/* next_event waits up to the deadline for an event; 0 on timeout. */
static int next_event(XEvent *ev, time_t deadline) {
    int fd = ConnectionNumber(dpy);
    while (!XPending(dpy)) {
        time_t now = time(NULL);
        if (now >= deadline) return 0;
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(fd, &fds);
        struct timeval tv = {deadline - now, 0};
        select(fd + 1, &fds, NULL, NULL, &tv);
    }
    XNextEvent(dpy, ev);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: xdnd-drop WINDOW_ID X Y PATH\n");
        return 2;
    }
    dpy = XOpenDisplay(NULL);
    if (!dpy) {
        fprintf(stderr, "xdnd-drop: cannot open display\n");
        return 1;
    }
    Window target = (Window)strtoul(argv[1], NULL, 0);
    int x = atoi(argv[2]), y = atoi(argv[3]);
    char uri[4096];
    snprintf(uri, sizeof uri, "file://%s\r\n", argv[4]);

    Window root = DefaultRootWindow(dpy), child;
    int rx, ry;
    XTranslateCoordinates(dpy, target, root, x, y, &rx, &ry, &child);
    Window src = XCreateSimpleWindow(dpy, root, -10, -10, 1, 1, 0, 0, 0);
    XSelectInput(dpy, src, PropertyChangeMask);
    Atom selection = A("XdndSelection"), uriList = A("text/uri-list"), copy = A("XdndActionCopy");
    /* A timestamp from the server: a property change on our own window. */
    XChangeProperty(dpy, src, A("WM_NAME"), XA_STRING, 8, PropModeReplace, (unsigned char *)"xdnd-drop", 9);
    XEvent ev;
    Time ts = CurrentTime;
    time_t deadline = time(NULL) + 20;
    while (next_event(&ev, deadline)) {
        if (ev.type == PropertyNotify) {
            ts = ev.xproperty.time;
            break;
        }
    }
    XSetSelectionOwner(dpy, selection, src, ts);
    Atom aware = A("XdndAware");
    Atom type;
    int format;
    unsigned long n, after;
    unsigned char *prop = NULL;
    if (XGetWindowProperty(dpy, target, aware, 0, 1, False, AnyPropertyType, &type, &format, &n, &after, &prop) != Success || n == 0) {
        fprintf(stderr, "xdnd-drop: window 0x%lx is not XdndAware\n", target);
        return 1;
    }
    long version = *(long *)prop;
    XFree(prop);
    if (version > 5) version = 5;

    send_client(target, src, A("XdndEnter"), version << 24, (long)uriList, 0, 0);
    send_client(target, src, A("XdndPosition"), 0, (rx << 16) | ry, (long)ts, (long)copy);
    int accepted = -1, dropped = 0;
    deadline = time(NULL) + 20;
    while (next_event(&ev, deadline)) {
        if (ev.type == ClientMessage && ev.xclient.message_type == A("XdndStatus")) {
            if (!dropped) {
                accepted = ev.xclient.data.l[1] & 1;
                if (!accepted) {
                    fprintf(stderr, "xdnd-drop: the window refused the drop at (%d, %d)\n", x, y);
                    send_client(target, src, A("XdndLeave"), 0, 0, 0, 0);
                    return 1;
                }
                send_client(target, src, A("XdndDrop"), 0, (long)ts, 0, 0);
                dropped = 1;
            }
        } else if (ev.type == SelectionRequest) {
            XSelectionRequestEvent *rq = &ev.xselectionrequest;
            XEvent re = {0};
            re.xselection.type = SelectionNotify;
            re.xselection.requestor = rq->requestor;
            re.xselection.selection = rq->selection;
            re.xselection.target = rq->target;
            re.xselection.time = rq->time;
            re.xselection.property = None;
            if (rq->target == uriList) {
                XChangeProperty(dpy, rq->requestor, rq->property, uriList, 8, PropModeReplace, (unsigned char *)uri, (int)strlen(uri));
                re.xselection.property = rq->property;
            }
            XSendEvent(dpy, rq->requestor, False, NoEventMask, &re);
            XFlush(dpy);
        } else if (ev.type == ClientMessage && ev.xclient.message_type == A("XdndFinished")) {
            return 0;
        }
    }
    fprintf(stderr, "xdnd-drop: no %s within 20 s\n", dropped ? "XdndFinished" : "XdndStatus");
    return 1;
}
