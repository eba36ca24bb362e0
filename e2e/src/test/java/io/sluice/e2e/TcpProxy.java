package io.sluice.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP proxy for network faults between a component and its server: {@link #cut()} drops every
 * open connection (both directions, at once), {@link #latency(long)} delays every chunk forwarded
 * in either direction, and {@link #blackhole(boolean)} keeps connections open but forwards
 * nothing (a partition) and refuses new ones.
 */
final class TcpProxy implements AutoCloseable {

    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private volatile long latencyMs;
    private volatile boolean blackhole;

    TcpProxy(String targetHost, int targetPort) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        Thread acceptor = new Thread(this::accept, "proxy-" + server.getLocalPort() + "->" + targetPort);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    void latency(long ms) {
        latencyMs = ms;
    }

    /** On: open connections go silent (bytes are held, as TCP retransmits them) and new ones are refused. */
    void blackhole(boolean on) {
        blackhole = on;
    }

    /** Drops every open connection, both directions. */
    void cut() {
        for (Socket s : sockets) {
            try {
                s.setSoLinger(true, 0); // RST, like a dropped route, not an orderly close
                s.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
        sockets.clear();
    }

    private void accept() {
        while (running.get()) {
            try {
                Socket client = server.accept();
                if (blackhole) {
                    client.close();
                    continue;
                }
                Socket upstream = new Socket();
                try {
                    upstream.connect(new InetSocketAddress(targetHost, targetPort), 2000);
                } catch (IOException e) {
                    client.close();
                    continue;
                }
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(upstream);
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                if (!running.get()) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    while (blackhole && running.get() && !from.isClosed()) {
                        Thread.sleep(10); // the partition holds the bytes; not synchronisation
                    }
                    long delay = latencyMs;
                    if (delay > 0) {
                        Thread.sleep(delay); // injected latency
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // connection cut or closed
            } finally {
                close(from);
                close(to);
            }
        }, "proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private void close(Socket s) {
        sockets.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        running.set(false);
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        cut();
    }
}
