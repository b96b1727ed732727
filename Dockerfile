FROM python:3.11-slim
WORKDIR /srv/cascade
COPY . .
RUN pip install --no-cache-dir .
ENV CASCADE_SCHEDULER=off
EXPOSE 8000
CMD ["cascade", "serve", "--host", "0.0.0.0", "--port", "8000"]
